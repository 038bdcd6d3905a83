"""Recognising HubSpot, Salesforce and Pipedrive exports by their header row, and mapping columns."""

import re

from recovery.models import CsvImport

Kind = CsvImport.Kind

# The Rebound fields a column can fill, in the order the mapping form shows them.
FIELDS = ("name", "lost_on", "amount", "currency", "stage", "reason", "crm_id", "competitor")
REQUIRED_FIELDS = ("name", "lost_on")


def norm(text: str) -> str:
    """Lower case, words only: "Deal - Title" → "deal title", "Closed lost" → "closed lost"."""
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def squash(text: str) -> str:
    """Letters and digits only: "Closed lost", "closedlost" and "CLOSED_LOST" are all "closedlost"."""
    return "".join(re.findall(r"[^\W_]+", text.casefold()))


# For each kind: the columns that must all be there (any of the sets), then, for each field, the
# names the column has in that CRM (normalised), the first one found winning.
EXPORTS = {
    Kind.PIPEDRIVE: {
        "signatures": [{"deal title", "deal status"}, {"title", "status", "lost time"}],
        "lost_value": "lost",
        "columns": {
            "crm_id": ["deal id", "id"],
            "name": ["deal title", "title"],
            "status": ["deal status", "status"],
            "stage": ["deal stage", "stage"],
            "amount": ["deal value", "value"],
            "currency": ["deal currency", "currency"],
            "lost_on": ["deal lost time", "lost time", "deal deal closed on", "deal closed on"],
            "reason": ["deal lost reason", "lost reason"],
            "competitor": ["deal competitor", "competitor"],
        },
    },
    Kind.HUBSPOT: {
        "signatures": [{"deal name", "deal stage"}],
        "lost_value": "Closed lost",
        "columns": {
            "crm_id": ["record id", "deal id", "hs object id"],
            "name": ["deal name"],
            "status": ["deal stage"],
            # A portal may have its own "stage lost at" property; otherwise the stage is guessed.
            "stage": ["stage lost at", "last stage before closed lost", "deal stage"],
            "amount": ["amount", "amount in company currency"],
            "currency": ["currency", "deal currency code"],
            "lost_on": ["close date"],
            "reason": ["closed lost reason", "lost reason"],
            "competitor": ["competitor", "competitors"],
        },
    },
    Kind.SALESFORCE: {
        "signatures": [
            {"opportunity name", "stage"},
            {"opportunity name", "won", "closed"},
            {"name", "stagename"},
        ],
        "lost_value": "Closed Lost",
        "columns": {
            "crm_id": ["opportunity id", "opportunity 18 digit id", "id"],
            "name": ["opportunity name", "name"],
            "status": ["stage", "stagename"],
            "won": ["won", "iswon"],
            "closed": ["closed", "isclosed"],
            "stage": ["stage lost at", "stage", "stagename"],
            "amount": ["amount"],
            "currency": ["opportunity currency", "amount currency", "currencyisocode", "currency"],
            "lost_on": ["close date", "closedate"],
            "reason": ["loss reason", "closed lost reason", "reason lost", "lost reason", "loss reason c"],
            "competitor": ["main competitor s", "competitor", "competitors"],
        },
    },
}

# Likely names in any other CSV: a first guess on the mapping form, which the rep checks.
GUESSES = {
    "name": [
        "deal name",
        "deal",
        "name",
        "opportunity",
        "opportunity name",
        "title",
        "account",
        "customer",
        "company",
    ],
    "lost_on": ["date lost", "lost on", "lost date", "lost time", "close date", "closed on", "date"],
    "amount": ["amount", "value", "deal value", "deal size", "revenue"],
    "currency": ["currency", "currency code"],
    "stage": ["stage lost at", "stage"],
    "reason": ["lost reason", "loss reason", "reason lost", "closed lost reason", "reason", "why"],
    "crm_id": ["id", "record id", "deal id", "crm id"],
    "competitor": ["competitor", "lost to"],
}


def _find(columns: list[str], names: list[str]) -> str:
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(norm(column), column)
    return next((by_norm[name] for name in names if name in by_norm), "")


def recognise(columns: list[str]) -> tuple[str, dict]:
    """Which export this is, from its header, and its mapping (Rebound field → column).

    Any other CSV is Kind.CUSTOM with an empty mapping: the rep maps it.
    """
    present = {norm(column) for column in columns}
    for kind, export in EXPORTS.items():
        if any(signature <= present for signature in export["signatures"]):
            mapping = {name: _find(columns, aliases) for name, aliases in export["columns"].items()}
            mapping = {name: column for name, column in mapping.items() if column}
            if mapping.get("status"):
                mapping["lost_value"] = export["lost_value"]
            if not (mapping.get("won") and mapping.get("closed")):
                mapping.pop("won", None)
                mapping.pop("closed", None)
            return kind, mapping
    return Kind.CUSTOM, {}


def guess_mapping(columns: list[str]) -> dict:
    """A first guess at the mapping of an unrecognised CSV, for the rep to check."""
    return {name: column for name, aliases in GUESSES.items() if (column := _find(columns, aliases))}


def mapping_complete(mapping: dict) -> bool:
    return all(mapping.get(name) for name in REQUIRED_FIELDS)


def missing_columns(mapping: dict) -> list[str]:
    """What a recognised export lacks of the required columns, for the message on the map page."""
    labels = {"name": "deal name", "lost_on": "date lost (close date)"}
    return [labels[name] for name in REQUIRED_FIELDS if not mapping.get(name)]
