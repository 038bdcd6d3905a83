from django.db import migrations

# (slug, label, outside the rep's control)
REASONS = [
    ("price-budget", "Price or budget", True),
    ("timing", "Timing", True),
    ("competitor", "Chose a competitor", True),
    ("no-decision", "No decision / status quo", True),
    ("product-fit", "Product fit or missing feature", True),
    ("champion-left", "Champion left or reorganisation", True),
    ("procurement-legal", "Procurement or legal", True),
    ("relationship", "Relationship", False),
    ("my-discovery", "My discovery", False),
    ("my-follow-up", "My follow-up", False),
    ("my-demo-pitch", "My demo or pitch", False),
    ("unknown", "Unknown", True),
]


def seed(apps, schema_editor):
    LossReason = apps.get_model("recovery", "LossReason")
    for position, (slug, label, outside) in enumerate(REASONS):
        LossReason.objects.update_or_create(
            slug=slug, defaults={"label": label, "outside_control": outside, "position": position}
        )


def unseed(apps, schema_editor):
    apps.get_model("recovery", "LossReason").objects.filter(slug__in=[r[0] for r in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("recovery", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
