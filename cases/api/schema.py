"""Schema corrections the serializers alone cannot express."""

from drf_spectacular.extensions import OpenApiSerializerExtension


class CaseUpdateVersionRequired(OpenApiSerializerExtension):
    """A PATCH body's component lists no required field, but a case PATCH without `version` is 400."""

    target_class = "cases.api.serializers.CaseUpdateSerializer"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["required"] = sorted({*schema.get("required", []), "version"})
        return schema
