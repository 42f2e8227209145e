"""Every "captured" step so far was written by the status flow when it set a capturing status: a
request the shop never confirmed. They become "capture requested", so reconciliation stops
counting them as money drawn; "captured" is left for captures the shop confirms.
"""

from django.db import migrations, models


def requests_were_never_confirmed(apps, schema_editor):
    apps.get_model("flows", "JourneyStep").objects.filter(step="captured").update(step="capture_requested")


def back(apps, schema_editor):
    apps.get_model("flows", "JourneyStep").objects.filter(step="capture_requested").update(step="captured")


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0015_visma_agent_key_id_unique'),
    ]

    operations = [
        migrations.RunPython(requests_were_never_confirmed, back),
        migrations.AlterField(
            model_name='journeystep',
            name='step',
            field=models.CharField(choices=[('received', 'received from the shop'), ('parked', 'needs attention'), ('mapped', 'mapped'), ('would_write', 'dry run: would write'), ('in_visma', 'in Visma'), ('shop_status', 'shop status set'), ('delivered', 'delivered'), ('invoiced', 'invoiced'), ('paid', 'paid'), ('cancelled', 'cancelled'), ('email', 'e-mail sent'), ('capture_requested', 'capture requested'), ('captured', 'payment captured')], max_length=20, verbose_name='step'),
        ),
    ]
