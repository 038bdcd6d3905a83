"""Reading a CRM's values: stages, lost reasons, booleans, dates, amounts and currencies."""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from recovery.currencies import ALL as CURRENCY_CODES
from recovery.models import MAX_AMOUNT, Stage

from .crms import norm

# Known stage names of the three CRMs (normalised) → Rebound's stage lost at.
STAGE_NAMES = {
    # HubSpot's default pipeline
    "appointment scheduled": Stage.DISCOVERY,
    "qualified to buy": Stage.DISCOVERY,
    "presentation scheduled": Stage.DEMO,
    "decision maker bought in": Stage.DEMO,
    "contract sent": Stage.CONTRACT,
    # Salesforce's default opportunity stages
    "prospecting": Stage.PROSPECTING,
    "qualification": Stage.DISCOVERY,
    "needs analysis": Stage.DISCOVERY,
    "id decision makers": Stage.DISCOVERY,
    "value proposition": Stage.DEMO,
    "perception analysis": Stage.DEMO,
    "proposal price quote": Stage.PROPOSAL,
    "negotiation review": Stage.NEGOTIATION,
    # Pipedrive's default pipeline
    "lead in": Stage.PROSPECTING,
    "contact made": Stage.DISCOVERY,
    "needs defined": Stage.DISCOVERY,
    "demo scheduled": Stage.DEMO,
    "proposal made": Stage.PROPOSAL,
    "negotiations started": Stage.NEGOTIATION,
}
# Any other stage name, by its words; the first match wins.
STAGE_WORDS = [
    (re.compile(r"\b(contract|signature|closing)"), Stage.CONTRACT),
    (re.compile(r"\bnegotiat"), Stage.NEGOTIATION),
    (re.compile(r"\b(proposal|quote|pricing)"), Stage.PROPOSAL),
    (re.compile(r"\b(demo|presentation|trial|pilot|poc|proof of concept|evaluation)"), Stage.DEMO),
    (re.compile(r"\b(discovery|qualif|needs|meeting|appointment)"), Stage.DISCOVERY),
    (re.compile(r"\b(prospect|lead|outreach)"), Stage.PROSPECTING),
]


def stage_from_text(text: str) -> str | None:
    """Rebound's stage for a CRM's stage name, or None when it says nothing about it ("Closed lost")."""
    name = norm(text)
    if not name:
        return None
    if name in STAGE_NAMES:
        return STAGE_NAMES[name]
    if name in Stage.values:
        return name
    return next((stage for pattern, stage in STAGE_WORDS if pattern.search(name)), None)


# The CRM's own words for why a deal was lost → Rebound's reasons. Words are matched at their start
# ("pric" finds price, pricing, priced), case aside. "No budget" is a budget problem, not "no decision".
REASON_WORDS = [
    ("price-budget", r"\bpric|\bbudget|\bcosts?\b|\bcostly\b|\bexpensive|\bafford|\bcheaper\b"),
    (
        "timing",
        r"\btiming\b|\bnot now\b|\bnot the right time\b|\bbad time\b|\bnext (year|quarter)\b|\bpostpone"
        r"|\bdelay|\bon hold\b|\btoo early\b",
    ),
    (
        "competitor",
        r"\bcompetit|\bwent with\b|\blost to\b|\bchose (another|a different|an? other)\b"
        r"|\b(other|another) vendor",
    ),
    (
        "no-decision",
        r"\bno decision\b|\bstatus quo\b|\bwent dark\b|\bghost|\bunresponsive\b|\bnon[- ]?responsive\b"
        r"|\bno response\b|\bdo nothing\b|\binaction\b|\bstalled\b",
    ),
    (
        "product-fit",
        r"\bfeatures?\b|\bproduct\b|\bfit\b|\bintegrations?\b|\bfunctionality\b|\brequirements?\b",
    ),
    ("champion-left", r"\bchampion|\bre-?org|\breorgani[sz]|\bleft the company\b"),
    ("procurement-legal", r"\bprocurement|\blegal\b|\bsecurity\b|\bcompliance\b|\bgdpr\b"),
    ("relationship", r"\brelationship|\brapport\b"),
    ("my-discovery", r"\bdiscovery\b|\bqualification\b"),
    ("my-follow-up", r"\bfollow[- ]?up|\bfollowed up\b"),
    # A demo named as what went wrong ("demo didn't land"), not as a moment ("went dark after the demo").
    (
        "my-demo-pitch",
        r"\b(bad|poor|weak|failed) (demo|pitch|presentation)\b"
        r"|\b(demo|pitch|presentation) (didn'?t|did not|failed|went badly|fell flat)",
    ),
]
REASON_PATTERNS = [(slug, re.compile(pattern, re.IGNORECASE)) for slug, pattern in REASON_WORDS]


def reasons_from_text(text: str) -> list[str]:
    """The slugs of Rebound's reasons that the CRM's text names; none when it names none."""
    return [slug for slug, pattern in REASON_PATTERNS if pattern.search(text)]


TRUE_WORDS = {"1", "true", "yes", "y", "x", "wahr", "ja", "oui", "vrai", "checked"}
FALSE_WORDS = {"0", "false", "no", "n", "falsch", "nein", "non", "faux", "unchecked"}


def boolean(text: str) -> bool | None:
    value = text.strip().casefold()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return None


ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[ ,T].*)?$")
NAMED_DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")


def _numeric_date(first: int, second: int, year: int, *, day_first: bool) -> datetime.date | None:
    day, month = (first, second) if day_first else (second, first)
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _numeric_parts(text: str) -> tuple[int, str, int, int] | None:
    match = NUMERIC_DATE.match(text.strip())
    if not match:
        return None
    year = int(match.group(4))
    return int(match.group(1)), match.group(2), int(match.group(3)), year + 2000 if year < 100 else year


def dates_day_first(values: list[str]) -> bool:
    """Whether the file's slashed dates are D/M/Y: only if more of them make sense that way than as M/D/Y."""
    as_dmy = as_mdy = 0
    for value in values:
        parts = _numeric_parts(value)
        if parts is None or parts[1] != "/":
            continue
        first, _, second, year = parts
        as_dmy += _numeric_date(first, second, year, day_first=True) is not None
        as_mdy += _numeric_date(first, second, year, day_first=False) is not None
    return as_dmy > as_mdy


def parse_date(text: str, *, day_first: bool = False) -> datetime.date | None:
    """The date in a CRM's date or date-and-time, or None if it can't be read."""
    text = text.strip()
    if match := ISO_DATE.match(text):
        try:
            return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    if parts := _numeric_parts(text):
        first, separator, second, year = parts
        # Dots and dashes are day first (14.03.2026, 14-03-2026); slashes as the file decides.
        return _numeric_date(first, second, year, day_first=day_first or separator != "/")
    words = re.sub(r"[,.]", " ", text)
    words = " ".join(words.split()[:3])
    for date_format in NAMED_DATE_FORMATS:
        try:
            return datetime.datetime.strptime(words, date_format).date()
        except ValueError:
            continue
    return None


CURRENCY_SYMBOLS = {
    "US$": "USD",
    "CA$": "CAD",
    "C$": "CAD",
    "AU$": "AUD",
    "A$": "AUD",
    "€": "EUR",
    "£": "GBP",
}
CURRENCY_SYMBOLS |= {"¥": "JPY", "₹": "INR", "R$": "BRL", "zł": "PLN"}
# A bare "$" is any dollar: the currency column decides, else it is USD.
DOLLAR = "$"
CURRENCY_WORDS = {"EURO": "EUR", "EUROS": "EUR", "DOLLAR": "USD", "DOLLARS": "USD", "POUNDS": "GBP"}
SPACES = re.compile(r"[\s\u00a0\u202f'’]+")


def currency_code(text: str) -> str | None:
    """An ISO 4217 code from what a CRM writes ("eur", "€", "Euro"); "" for nothing; None if unknown."""
    value = text.strip()
    if not value:
        return ""
    upper = value.upper()
    if upper in CURRENCY_CODES:
        return upper
    if value == DOLLAR:
        return "USD"
    return CURRENCY_SYMBOLS.get(value) or CURRENCY_WORDS.get(upper) or None


def _split_currency(text: str) -> tuple[str, str]:
    """The number in an amount and the currency written beside it: "EUR 12,000.00" → "12,000.00", "EUR"."""
    value = text.strip()
    before = re.match(r"^([A-Za-z]{3})\s*(.*)$", value)
    if before and before.group(1).upper() in CURRENCY_CODES:
        return before.group(2), before.group(1).upper()
    after = re.match(r"^(.*?)\s*([A-Za-z]{3})$", value)
    if after and after.group(2).upper() in CURRENCY_CODES:
        return after.group(1), after.group(2).upper()
    for symbol in [*sorted(CURRENCY_SYMBOLS, key=len, reverse=True), DOLLAR]:
        if value.startswith(symbol):
            return value[len(symbol) :], CURRENCY_SYMBOLS.get(symbol, DOLLAR)
        if value.endswith(symbol):
            return value[: -len(symbol)], CURRENCY_SYMBOLS.get(symbol, DOLLAR)
    return value, ""


def amounts_decimal_comma(values: list[str], *, delimiter: str) -> bool:
    """Whether the file's amounts use a decimal comma (12.000,50) rather than a decimal point."""
    for value in values:
        number = SPACES.sub("", _split_currency(value)[0])
        if re.search(r",\d{1,2}$", number) or re.search(r"\.\d{3}(,|\.\d{3})", number):
            return True
        if re.search(r"\.\d{1,2}$", number) or re.search(r",\d{3}\.", number):
            return False
    return delimiter == ";"


class BadValue(ValueError):
    """A value of a row that can't be read; the message says why, for the preview."""


def parse_amount(text: str, *, decimal_comma: bool = False) -> tuple[Decimal | None, str]:
    """The amount (None if empty) and the currency written with it, if any ("$" for a bare dollar sign).

    BadValue if it can't be read.
    """
    if not text.strip():
        return None, ""
    number, currency = _split_currency(text)
    number = SPACES.sub("", number)
    if number.startswith(("-", "(", "−")) or number.endswith("-"):
        raise BadValue(f"the amount “{text.strip()}” is negative")
    if not re.fullmatch(r"\d[\d.,]*", number):
        raise BadValue(f"the amount “{text.strip()}” isn't a number")
    # The thousands separators go; the decimal separator becomes a point.
    number = number.replace(".", "").replace(",", ".") if decimal_comma else number.replace(",", "")
    try:
        amount = Decimal(number).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise BadValue(f"the amount “{text.strip()}” isn't a number") from None
    if amount > MAX_AMOUNT:
        raise BadValue(f"the amount “{text.strip()}” is too large")
    return amount, currency
