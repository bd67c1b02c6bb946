"""One-off helper: fill empty msgstr entries of the foundation catalogues from a glossary.

Usage: .venv/bin/python scripts/fill_zh.py  (prints any msgid it has no translation for)
"""

import re
import sys
from pathlib import Path

ZH = {
    # dibao/
    "Invalid input.": "输入有误。",
    "The request could not be carried out.": "无法执行该请求。",
    "This action is not allowed in the case's current state.": "案件当前状态下不允许此操作。",
    "Someone else changed this record after you opened it. Reload and try again.":
        "您打开此记录后，他人已修改了它。请刷新后重试。",
    "Your role may not do this.": "您的角色无权执行此操作。",
    # templates/
    "Dibao case management": "低保业务管理",
    "Dibao": "低保管理",
    "Menu": "菜单",
    "Administration": "系统管理",
    "API documentation": "API 文档",
    "Log out": "退出登录",
    "Language": "语言",
    "Switch": "切换",
    "Work queue": "待办工作",
    "Nothing waiting.": "暂无待办。",
    "Nothing waiting for you.": "暂时没有需要您处理的事项。",
    "Status": "状态",
    "Progress": "进度",
    "Download": "下载",
    "Problems": "问题",
    "Row": "行",
    "Column": "列",
    "Reason": "原因",
    "Job": "后台任务",
    "Too many failed logins": "登录失败次数过多",
    "This account is locked for a while after repeated failed logins from this computer. "
    "Try again later or ask your administrator.":
        "由于在此电脑上多次登录失败，该账号已被暂时锁定。请稍后再试，或联系系统管理员。",
    "Log in": "登录",
    "Rural minimum living security case management": "农村最低生活保障业务管理系统",
    "Username": "用户名",
    "Password": "密码",
    "The form has expired": "表单已过期",
    "The page was open too long, or you logged in or out in another tab. Nothing was saved.":
        "页面打开时间过长，或您在其他标签页中登录或退出过。本次没有保存任何内容。",
    "Reload the page": "重新加载页面",
    "Not found": "未找到",
    "This page does not exist, or it lies outside your area.": "该页面不存在，或不在您的管辖范围内。",
    "Back to the work queue": "返回待办工作",
    "Not permitted": "无权操作",
    # accounts/
    "This username is taken.": "该用户名已被使用。",
    "A division with this code exists.": "该区划代码已存在。",
    "Households": "家庭",
    "Cases": "案件",
    "Reviews": "复核",
    "Payment rolls": "发放名册",
    "Poverty registry": "防止返贫监测名单",
    "Findings": "比对发现",
    "Dashboard": "统计看板",
    "Audit log": "审计日志",
    "The username or password is not correct.": "用户名或密码不正确。",
    "This account is disabled. Ask your administrator.": "该账号已停用，请联系系统管理员。",
    "Province": "省",
    "City": "市",
    "County": "县",
    "Township": "乡镇",
    "Village": "村",
    "code": "代码",
    "A division code is exactly 12 digits.": "区划代码必须是12位数字。",
    "name": "名称",
    "level": "级别",
    "parent": "上级区划",
    "rural population": "农村人口",
    "division": "行政区划",
    "divisions": "行政区划",
    "A province has no parent.": "省级区划没有上级区划。",
    "Only a province may be without a parent.": "只有省级区划可以没有上级区划。",
    "The parent of a %(level)s must be a %(expected)s.": "%(level)s的上级区划必须是%(expected)s。",
    "The code must start with the parent's code %(prefix)s.": "代码必须以上级区划代码 %(prefix)s 开头。",
    "A %(level)s code ends with %(n)d zeros.": "%(level)s级代码的末尾应为%(n)d个0。",
    "Village staff": "村级工作人员",
    "Township staff": "乡镇工作人员",
    "County civil-affairs officer": "县级民政经办人员",
    "Auditor": "审计人员",
    "Administrator": "系统管理员",
    "role": "角色",
    "user": "用户",
    "users": "用户",
    "Every non-admin user belongs to a division.": "除管理员外，每个用户都必须属于一个行政区划。",
    "A %(role)s works at the %(levels)s level.": "%(role)s只能在%(levels)s级工作。",
    "Role and area": "角色和区域",
    "Households and applications of your village that need your input, and corrections sent back by the county.":
        "本村需要您录入或补充的家庭和申请，以及县级退回待更正的事项。",
    "Applications of your township's villages waiting for the township check, and household visits to arrange.":
        "本乡镇各村等待乡镇审核的申请，以及需要安排的入户调查。",
    "Applications to review, visits to record, decisions, payment rolls and re-checks that are due in your county.":
        "本县待审核的申请、待记录的入户调查、待作出的决定、发放名册和到期复核。",
    "Overlap findings and audit trails of your area to read and export.": "本辖区的比对发现和审计记录，可查阅和导出。",
    "Users and divisions are managed in the administration pages.": "用户和行政区划在系统管理页面中维护。",
    # audit/
    "The end date is before the start date.": "结束日期早于开始日期。",
    "when": "时间",
    "actor": "操作人",
    "actor username": "操作人用户名",
    "action": "操作",
    "object type": "对象类型",
    "object id": "对象编号",
    "before": "修改前",
    "after": "修改后",
    "request id": "请求编号",
    "IP address": "IP 地址",
    "audit event": "审计事件",
    "audit events": "审计事件",
    "detail": "详情",
    "access log entry": "访问日志记录",
    "access log": "访问日志",
    # jobs/
    "Queued": "排队中",
    "Running": "运行中",
    "Succeeded": "已完成",
    "Failed": "失败",
    "kind": "类型",
    "status": "状态",
    "progress": "进度",
    "counts": "计数",
    "errors": "错误",
    "message": "消息",
    "parameters": "参数",
    "result file": "结果文件",
    "created": "创建时间",
    "started": "开始时间",
    "finished": "结束时间",
    "last sign of life": "最近心跳",
    "expires": "过期时间",
    "job": "后台任务",
    "jobs": "后台任务",
    "The worker stopped answering; the job was abandoned. Start it again.": "后台进程已无响应，任务已中止。请重新启动该任务。",
}

CATALOGUES = ["locale", "accounts/locale", "audit/locale", "jobs/locale"]
ENTRY = re.compile(r'((?:#[^\n]*\n)*)msgid ((?:"[^\n]*"\n)+)msgstr ((?:"[^\n]*"\n)+)')


def unquote(block: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)).replace('\\"', '"').replace("\\n", "\n")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"\n'


missing = []
for cat in CATALOGUES:
    path = Path(cat) / "zh_Hans/LC_MESSAGES/django.po"
    text = path.read_text()

    def fill(match, cat=cat):
        comments, msgid_block, msgstr_block = match.groups()
        msgid = unquote(msgid_block)
        if not msgid:
            return match.group(0)
        if unquote(msgstr_block) and "#, fuzzy" not in comments:
            return match.group(0)
        if msgid not in ZH:
            missing.append((cat, msgid))
            return match.group(0)
        comments = comments.replace("#, fuzzy\n", "")
        comments = re.sub(r"#\| [^\n]*\n", "", comments)
        return f"{comments}msgid {msgid_block}msgstr {quote(ZH[msgid])}"

    text = ENTRY.sub(fill, text)
    text = text.replace('"Language-Team: LANGUAGE <LL@li.org>\\n"', '"Language-Team: Chinese (Simplified)\\n"')
    text = re.sub(r'#, fuzzy\nmsgid ""\nmsgstr ""\n', 'msgid ""\nmsgstr ""\n', text, count=1)
    path.write_text(text)

for cat, msgid in missing:
    print(f"{cat}: no translation for {msgid!r}")
sys.exit(1 if missing else 0)
