"""The built-in words of the import files: Chinese headers and values beside the English code names.

DESIGN.md fixes them (the poverty-registry file, the recipient roster file) with the standard civil-affairs
wording (DOMAIN.md). More spellings are added without code in the admin site (tabular.models.Synonym);
`synonyms_for` merges both into the tables the reader uses.
"""

import unicodedata

from tabular.models import FileKind, Synonym

# column -> Chinese header (the template's first header row); the first is the standard one.
HEADERS = {
    FileKind.POVERTY_REGISTRY: {
        "year": ["年度", "年份"],
        "registry_household_code": ["户编号", "户码"],
        "division_code": ["行政区划代码", "区划代码", "村代码"],
        "member_name": ["姓名", "成员姓名"],
        "id_number": ["证件号码", "身份证号码", "身份证号"],
        "relationship": ["与户主关系"],
        "is_head": ["是否户主"],
        "annual_income_per_capita": ["人均纯收入", "人均收入", "家庭人均纯收入"],
        "status": ["状态", "脱贫状态", "户类型"],
        "monitoring_type": ["监测类型", "监测对象类别"],
        "lifted_year": ["脱贫年度", "脱贫年份"],
    },
    FileKind.ROSTER: {
        "household_code": ["户编号", "户码"],
        "village_code": ["行政区划代码", "区划代码", "村代码"],
        "address": ["家庭住址", "住址"],
        "phone": ["联系电话", "电话"],
        "member_name": ["姓名", "成员姓名"],
        "id_number": ["证件号码", "身份证号码", "身份证号"],
        "relationship": ["与户主关系"],
        "is_head": ["是否户主"],
        "health": ["健康状况"],
        "disability_grade": ["残疾等级"],
        "labour_capacity": ["劳动能力"],
        "category": ["保障类别"],
        "monthly_amount": ["月保障金", "月保障金额", "保障金额"],
        "approved_on": ["审批日期", "批准日期"],
        "individual_inclusion": ["是否单人保", "单人保"],
        "gradual_exit_until": ["渐退截止月", "渐退期截止月"],
        "next_review_on": ["下次复核日期", "复核日期"],
        "bank_name": ["开户银行", "银行"],
        "bank_account": ["银行账号", "账号", "一卡通账号"],
    },
}

YES_NO = {"是": "yes", "否": "no", "yes": "yes", "no": "no", "y": "yes", "n": "no", "1": "yes", "0": "no",
          "true": "yes", "false": "no", "": "no"}

# column -> {value: [synonyms]}; the first synonym is the standard Chinese word (the template's drop-down).
VALUES = {
    FileKind.POVERTY_REGISTRY: {
        "status": {"registered": ["未脱贫"], "lifted": ["已脱贫", "脱贫户"], "monitored": ["监测对象", "防返贫监测对象"]},
        "monitoring_type": {"unstable": ["脱贫不稳定户"], "edge": ["边缘易致贫户"], "sudden": ["突发严重困难户"]},
        "relationship": {"head": ["户主", "本人"], "spouse": ["配偶"], "child": ["子女", "之子", "之女", "儿子", "女儿"],
                         "parent": ["父母", "父亲", "母亲"], "grandchild": ["孙子女", "孙子", "孙女"],
                         "sibling": ["兄弟姐妹"], "other": ["其他"]},
    },
    FileKind.ROSTER: {
        "relationship": {"head": ["户主", "本人"], "spouse": ["配偶"],
                         "child": ["子女", "之子", "之女", "儿子", "女儿"], "parent": ["父母", "父亲", "母亲"],
                         "grandchild": ["孙子女", "孙子", "孙女"], "grandparent": ["祖父母", "祖父", "祖母"],
                         "sibling": ["兄弟姐妹"], "child_in_law": ["儿媳", "女婿"], "other": ["其他"]},
        "is_head": {"yes": ["是"], "no": ["否"]},
        "individual_inclusion": {"yes": ["是"], "no": ["否"]},
        "health": {"healthy": ["健康"], "chronic": ["患病", "慢性病"], "serious": ["重病", "大病"], "disabled": ["残疾"]},
        "disability_grade": {"1": ["一级"], "2": ["二级"], "3": ["三级"], "4": ["四级"]},
        "labour_capacity": {"full": ["有劳动能力"], "partial": ["部分丧失劳动能力"],
                            "none": ["完全丧失劳动能力", "无劳动能力"]},
        "category": {"A": ["A类"], "B": ["B类"], "C": ["C类"]},
    },
}


def normalise(text) -> str:
    """The form a header or value is compared in: full-width folded (NFKC), no spaces, no '*', lower case."""
    text = unicodedata.normalize("NFKC", str(text if text is not None else "")).lstrip("\ufeff")
    return "".join(ch for ch in text if not ch.isspace() and ch != "*").lower()


def synonyms_for(file_kind: str, columns, county_code: str = "") -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """({normalised header: column}, {column: {normalised value: value}}) for one kind of file.

    The code names themselves, the built-in Chinese words and the table's rows (for every county, or
    for the county given) all count.
    """
    headers = {normalise(c): c for c in columns}
    for column, words in HEADERS.get(file_kind, {}).items():
        for word in words:
            headers.setdefault(normalise(word), column)
    values: dict[str, dict[str, str]] = {}
    for column, mapping in VALUES.get(file_kind, {}).items():
        table = values.setdefault(column, {})
        for value, words in mapping.items():
            table[normalise(value)] = value
            for word in words:
                table[normalise(word)] = value
    rows = Synonym.objects.filter(file_kind__in=["", file_kind], county_code__in=["", county_code or ""],
                                  column__in=list(columns))
    for row in rows.order_by("county_code", "id"):
        if row.value:
            values.setdefault(row.column, {})[normalise(row.synonym)] = row.value
        else:
            headers[normalise(row.synonym)] = row.column
    return headers, values


def chinese_header(file_kind: str, column: str) -> str:
    words = HEADERS.get(file_kind, {}).get(column)
    return words[0] if words else column


def chinese_values(file_kind: str, column: str) -> list[str]:
    """The standard Chinese word of each value of an enumerated column (template drop-downs)."""
    return [words[0] for words in VALUES.get(file_kind, {}).get(column, {}).values()]
