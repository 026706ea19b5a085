"""Exclusion entries typed before numbers were folded (full-width ``Ｃ００２``) never matched the recipient
imported as ``C002``: fold them now, as the import and ``exclusion_entries_add`` do. An entry whose
folded number is already on its list is a duplicate and goes."""

import unicodedata

from django.db import migrations


def fold(apps, schema_editor):
    Entry = apps.get_model("audiences", "ExclusionEntry")
    for entry in Entry.objects.exclude(external_id__regex=r"^[ -~]*$").iterator():
        folded = unicodedata.normalize("NFKC", entry.external_id.strip()).strip()
        if folded == entry.external_id:
            continue
        if not folded or Entry.objects.filter(exclusion_list_id=entry.exclusion_list_id, external_id=folded).exists():
            entry.delete()
        else:
            entry.external_id = folded
            entry.save(update_fields=["external_id"])


class Migration(migrations.Migration):
    dependencies = [("audiences", "0009_drop_name_index")]
    operations = [migrations.RunPython(fold, migrations.RunPython.noop)]
