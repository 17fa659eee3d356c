"""Risk accounts, transactions and the governance settings get an opaque public id (issue 17)."""

from django.db import migrations

from apps.core.public_ids import add_public_id


class Migration(migrations.Migration):
    dependencies = [("financial_risk", "0005_risk_governance_settings")]

    operations = [
        *add_public_id("financial_risk", "riskaccount"),
        *add_public_id("financial_risk", "transaction"),
        *add_public_id("financial_risk", "riskgovernancesettings"),
    ]
