# Agents that exist already keep calling their URL (direct); new ones dial out to the gateway.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0007_initial_sync_plan'),
    ]

    operations = [
        migrations.AddField(
            model_name='vismaagent',
            name='connected_since',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='connected since'),
        ),
        migrations.AddField(
            model_name='vismaagent',
            name='mode',
            field=models.CharField(choices=[('outbound', 'outbound (the agent connects to the gateway)'), ('direct', "direct (the server calls the agent's URL)")], default='direct', max_length=10, verbose_name='connection'),
        ),
        migrations.AlterField(
            model_name='vismaagent',
            name='mode',
            field=models.CharField(choices=[('outbound', 'outbound (the agent connects to the gateway)'), ('direct', "direct (the server calls the agent's URL)")], default='outbound', max_length=10, verbose_name='connection'),
        ),
        migrations.AddField(
            model_name='vismaagent',
            name='round_trip_ms',
            field=models.FloatField(blank=True, editable=False, null=True, verbose_name='round trip (ms)'),
        ),
        migrations.AlterField(
            model_name='vismaagent',
            name='agent_url',
            field=models.URLField(blank=True, help_text='direct mode only, e.g. https://visma.merchant.example:8020', verbose_name='agent URL'),
        ),
    ]
