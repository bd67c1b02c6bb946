import factory

from accounts.models import Division, User

PASSWORD = "Correct-horse-42"


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"3702831{n:02d}000")
    name = factory.Sequence(lambda n: f"Division {n}")
    level = "township"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = "village_staff"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()
