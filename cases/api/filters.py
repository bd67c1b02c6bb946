import django_filters

from accounts.divisions import code_prefix
from cases.models import Case, CaseStatus, Category
from cases.selectors import near_deadline_date, overdue_q


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    staff_relative = django_filters.BooleanFilter()
    division = django_filters.CharFilter(method="filter_division", help_text="division code at any level")
    overdue = django_filters.BooleanFilter(method="filter_overdue",
                                           help_text="past a deadline or within 3 working days of one")

    class Meta:
        model = Case
        fields = ["status", "category", "staff_relative", "division", "overdue"]

    def filter_division(self, queryset, name, value):
        return queryset.filter(division_code__startswith=code_prefix(value))

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(near_deadline_date())
        return queryset.filter(q) if value else queryset.exclude(q)
