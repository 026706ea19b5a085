"""Schema for the delivery pipeline (campaigns.dispatch): retry times and a lease index on deliveries,
dispatch bookkeeping and a complaint counter on campaigns, progress samples for the monitor page."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0003_approve_permission'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='count_complaints',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='campaign',
            name='materialised_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='campaign',
            name='rest_materialised_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='campaign',
            name='last_fanout_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='campaign',
            name='last_progress_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='campaign',
            name='needs_fanout',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='delivery',
            name='available_at',
            field=models.DateTimeField(blank=True, help_text='a pending row waits until then (retry)', null=True),
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(condition=models.Q(('status', 'sending')), fields=['lease_until'],
                               name='camp_delivery_lease'),
        ),
        migrations.CreateModel(
            name='DeliverySample',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('pending', models.BigIntegerField(default=0)),
                ('sending', models.BigIntegerField(default=0)),
                ('sent', models.BigIntegerField(default=0)),
                ('delivered', models.BigIntegerField(default=0)),
                ('bounced', models.BigIntegerField(default=0)),
                ('failed', models.BigIntegerField(default=0)),
                ('skipped', models.BigIntegerField(default=0)),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='samples',
                                               to='campaigns.campaign')),
            ],
            options={
                'indexes': [models.Index(fields=['campaign', 'at'], name='camp_sample_at')],
            },
        ),
    ]
