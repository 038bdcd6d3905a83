"""Copy each deal's owner onto its reflection and check-ins, for the morale dashboard's indexes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_owners(apps, schema_editor):
    LostDeal = apps.get_model("recovery", "LostDeal")
    owner = Subquery(LostDeal.objects.filter(pk=OuterRef("deal_id")).values("owner_id")[:1])
    for name in ("Reflection", "CheckIn"):
        apps.get_model("recovery", name).objects.update(owner_id=owner)


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0005_morale_dashboard_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="checkin", name="checkin_answered_at"),
        migrations.RemoveIndex(model_name="reflection", name="reflection_mood_at"),
        *(
            migrations.AddField(
                model_name=model,
                name="owner",
                field=models.ForeignKey(
                    db_index=False,
                    editable=False,
                    null=True,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            )
            for model in ("checkin", "reflection")
        ),
        migrations.RunPython(copy_owners, migrations.RunPython.noop),
        *(
            migrations.AlterField(
                model_name=model,
                name="owner",
                field=models.ForeignKey(
                    db_index=False,
                    editable=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            )
            for model in ("checkin", "reflection")
        ),
        migrations.AddIndex(
            model_name="checkin",
            index=models.Index(
                condition=models.Q(("answered_at__isnull", False)),
                fields=["owner", "answered_at", "mood"],
                name="checkin_owner_answered_at",
            ),
        ),
        migrations.AddIndex(
            model_name="reflection",
            index=models.Index(
                condition=models.Q(("mood__isnull", False)),
                fields=["owner", "mood_at", "mood"],
                name="reflection_owner_mood_at",
            ),
        ),
    ]
