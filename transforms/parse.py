"""Parse the Dutch text formats survey and budget exports use, as native polars expressions.

Every function takes a text expression and returns an expression; nothing runs row by row.
Amounts and percentages come back as a struct of `value` and `status`, so a cell that says
`n.v.t.` stays distinguishable from one left empty or one that is simply garbage:

- `ok`: a number
- `not_answered`: empty, null, only whitespace, or only dashes (`-`, `—`)
- `not_applicable`: `n.v.t.`, `nvt`, `niet van toepassing`, `n/a`
- `unknown`: `weet niet`, `onbekend`, `?`, `unknown`, `don't know`
- `range`: two amounts such as `10.000 - 20.000` or `€ 10.000 tot € 20.000` (amounts only;
  the value is the midpoint)
- `invalid`: anything else; the value is null

The parsers never judge plausibility: negative amounts and a share of 150% parse as `ok`,
and the expectations suites decide what to reject.

Input is expected as text. A column that already holds numbers should be parsed with
`decimal="."`, because its string form always uses a decimal point (`1.234` means 1.234).
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

__all__ = [
    "AMOUNT_DTYPE",
    "STATUSES",
    "DecimalMode",
    "parse_amount",
    "parse_flag",
    "parse_plain_amount",
    "parse_fte",
    "parse_percent",
    "parse_timestamp",
]

DecimalMode = Literal["auto", ",", "."]

AMOUNT_DTYPE: Final = pl.Decimal(18, 2)
STATUSES: Final[tuple[str, ...]] = (
    "ok",
    "not_answered",
    "not_applicable",
    "unknown",
    "range",
    "invalid",
)

# Every pattern says `[0-9]`, never `\d`: polars' regex engine counts any Unicode digit
# (`٣`, `３`) as `\d`, and those would pass the pattern only to fail the cast.
_NOT_ANSWERED = r"^[-–—]*$"
_NOT_APPLICABLE = r"^(?:n\.?\s?v\.?\s?t\.?|niet van toepassing|n/a|not applicable)$"
_UNKNOWN = r"^(?:weet (?:ik )?niet|onbekend|\?+|unknown|don'?t know|do not know)$"
_CURRENCY = r"€|\beuro'?s?\b|\beur\b\.?"
# `€ 300,-` and `300.--`: a separator followed by dashes closes a whole amount.
_WHOLE_AMOUNT_DASH = r"[.,][-–—]{1,2}(\s|$)"
_PERCENT_SIGN = r"%|\bprocent\b|\bpct\b\.?"
_RANGE_BOUND = r"[-+]?[0-9][0-9., ]*?"
_RANGE = (
    rf"^(?:tussen\s+(?P<low_a>{_RANGE_BOUND})\s+en\s+(?P<high_a>{_RANGE_BOUND})"
    rf"|(?P<low_b>{_RANGE_BOUND})\s*(?:-|–|—|tot(?:\s+en\s+met)?|t/m|to)\s*"
    rf"(?P<high_b>{_RANGE_BOUND}))$"
)


def _grouped(separator: str, *, min_groups: int = 1) -> str:
    """An integer whose thousands are split by `separator`: `12.500`, `1 234 567`.

    The leading group has no leading zero, so `0.500` is never read as five hundred.
    """
    return rf"[1-9][0-9]{{0,2}}(?:{separator}[0-9]{{3}}){{{min_groups},}}"


_PLAIN = "[0-9]+"
_DOTTED = _grouped(r"\.")
_SPACED = _grouped(" ")
_COMMAED = _grouped(",")
# In `auto` one comma is a decimal comma, so commas separate thousands from two groups on.
_COMMAED_TWICE = _grouped(",", min_groups=2)

# Per mode, the alternatives a number may take, each as (integer group, fraction group).
# A whole number captures an empty fraction, and a decimal number without integer digits
# (`,5`) an empty integer, so that exactly one alternative's groups are set on a match.
_NUMBER_FORMS: Final[dict[str, tuple[str, ...]]] = {
    "auto": (
        rf"(?P<whole>{_PLAIN}|{_DOTTED}|{_SPACED}|{_COMMAED_TWICE})(?P<whole_f>)",
        rf"(?P<comma>{_PLAIN}|{_DOTTED}|{_SPACED}|),(?P<comma_f>[0-9]+)",
        rf"(?P<point>{_PLAIN}|{_COMMAED}|{_SPACED}|)\.(?P<point_f>[0-9]+)",
    ),
    ",": (
        rf"(?P<whole>{_PLAIN}|{_DOTTED}|{_SPACED})(?P<whole_f>)",
        rf"(?P<comma>{_PLAIN}|{_DOTTED}|{_SPACED}|),(?P<comma_f>[0-9]+)",
    ),
    ".": (
        rf"(?P<whole>{_PLAIN}|{_COMMAED}|{_SPACED})(?P<whole_f>)",
        rf"(?P<point>{_PLAIN}|{_COMMAED}|{_SPACED}|)\.(?P<point_f>[0-9]+)",
    ),
}
_FORM_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "auto": ("whole", "comma", "point"),
    ",": ("whole", "comma"),
    ".": ("whole", "point"),
}


def _check_decimal(decimal: str) -> None:
    if decimal not in _NUMBER_FORMS:
        raise ValueError(f"decimal must be 'auto', ',' or '.', got {decimal!r}")


def _clean_text(expr: pl.Expr) -> pl.Expr:
    """Lower-case text, whitespace of every kind (tabs, non-breaking spaces) collapsed."""
    return (
        expr.cast(pl.String)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_all("[’‘´`]", "'")
        .str.replace_all("−", "-")
    )


def _join_sign(expr: pl.Expr) -> pl.Expr:
    """`- 250`, and `€ -250` once the currency is gone, become `-250`."""
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.replace(r"^([-+]) ", "$1")


def _canonical_number(expr: pl.Expr, decimal: str) -> pl.Expr:
    """A number in plain form, `-1234.5` or `12.`, or null when `expr` is no number.

    `expr` should be cheap to repeat (a `pl.field`): it is read once per regex group.
    """
    names = _FORM_NAMES[decimal]
    pattern = rf"^(?P<sign>[-+]?)(?:{'|'.join(_NUMBER_FORMS[decimal])})$"
    groups = expr.str.extract_groups(pattern)
    integer = pl.coalesce(groups.struct.field(name) for name in names)
    fraction = pl.coalesce(groups.struct.field(f"{name}_f") for name in names)
    return pl.concat_str(
        groups.struct.field("sign"),
        integer.str.replace_all("[^0-9]", "").str.pad_start(1, "0"),
        pl.lit("."),
        fraction,
    )


def _to_cents(canonical: pl.Expr) -> pl.Expr:
    """Round a plain number half away from zero to `Decimal(18, 2)`; null when it overflows.

    Only the third decimal decides a half-away-from-zero rounding to cents, so the text is
    cut after three decimals first and the cast to decimal has nothing left to round (on its
    own, polars' string-to-decimal cast rounds half to even).
    """
    return (
        canonical.str.replace(r"(\.[0-9]{0,3})[0-9]*$", "$1")
        .cast(pl.Decimal(38, 3), strict=False)
        .round(2, mode="half_away_from_zero")
        .cast(AMOUNT_DTYPE, strict=False)
    )


def _times_1000(canonical: pl.Expr) -> pl.Expr:
    """A plain number moved three places to the left of its point: `-1.5` → `-1500.`.

    Done in the text, so an amount in thousands is scaled before it is rounded to cents.
    """
    return (canonical + pl.lit("000")).str.replace(r"^([-+]?[0-9]*)\.([0-9]{3})", "${1}${2}.")


def _answer_status(text: pl.Expr) -> pl.Expr:
    """The status of a cleaned cell that holds no number, or null when it may hold one."""
    return (
        pl.when(text.is_null() | text.str.contains(_NOT_ANSWERED))
        .then(pl.lit("not_answered"))
        .when(text.str.contains(_NOT_APPLICABLE))
        .then(pl.lit("not_applicable"))
        .when(text.str.contains(_UNKNOWN))
        .then(pl.lit("unknown"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


# The parsers below are pipelines over one struct: each `with_fields` step reads the fields
# of the previous one through `pl.field`. Written as nested expressions instead, every
# intermediate result would be copied into each expression that uses it, and the tree (and
# its running time) would grow multiplicatively with every step.
_f = pl.field


def parse_amount(expr: pl.Expr, *, decimal: DecimalMode = "auto", in_thousands: bool = False) -> pl.Expr:
    """Parse a euro amount into a struct of `value` (`Decimal(18, 2)`) and `status` (text).

    Accepted: `€ 12.500,00`, `12500`, `12.500`, `12,5`, `1.234.567`, `EUR 300`, `€300,-`,
    `12 500`, `-250`, `1,234.56`, with any whitespace, including non-breaking spaces. A
    range (`10.000 - 20.000`, `€ 10.000 tot € 20.000`, `tussen 10.000 en 20.000`) gives
    its midpoint with status `range`. See the module docstring for the other statuses.

    Decimal separator, with `decimal="auto"`:

    - when both `.` and `,` occur, the last one is the decimal separator and the other
      separates thousands (`1.234,56` and `1,234.56` are both 1234.56);
    - a single `,` is a decimal comma (`12,5` is 12.5, `1,234` is 1.234);
    - dots followed by groups of exactly three digits separate thousands (`12.500`,
      `1.234.567`); so do two or more commas (`1,234,567`) and single spaces (`12 500`);
    - any other single `.` is a decimal point (`12.50`, `0.500`, `1234.5`).

    With `decimal=","` dots (and spaces) only ever separate thousands and a comma is the
    decimal separator; with `decimal="."` it is the other way round. A thousands separator
    must sit between groups of three digits in every mode, otherwise the cell is `invalid`
    (`12.50` is invalid with `decimal=","`).

    Values are rounded to cents half away from zero (commercial rounding): `0,005` is
    0.01 and `-0,005` is -0.01. A range's bounds are rounded first, then its midpoint.
    Amounts beyond the 16 integer digits of `Decimal(18, 2)` are `invalid`.

    With `in_thousands=True` the cell is in thousands of euros: the value is in euros,
    scaled by 1000 exactly before it is rounded to cents (`1,2345` is 1234.50).
    """
    _check_decimal(decimal)
    scaled = _times_1000 if in_thousands else (lambda canonical: canonical)
    bounds = _f("number").str.extract_groups(_RANGE)
    midpoint = (_f("low").cast(pl.Decimal(38, 3)) + _f("high").cast(pl.Decimal(38, 3))) / 2
    return (
        pl.struct(text=_clean_text(expr))
        .struct.with_fields(
            number=_join_sign(
                _f("text").str.replace_all(_CURRENCY, " ").str.replace_all(_WHOLE_AMOUNT_DASH, "$1")
            )
        )
        .struct.with_fields(
            # Checked without the currency, so a lone `€` or `€ -` counts as not answered.
            answer=_answer_status(_f("number")),
            low=pl.coalesce(bounds.struct.field("low_a"), bounds.struct.field("low_b")),
            high=pl.coalesce(bounds.struct.field("high_a"), bounds.struct.field("high_b")),
            single=_canonical_number(_f("number"), decimal),
        )
        .struct.with_fields(
            is_range=_f("low").is_not_null(),
            low=_to_cents(scaled(_canonical_number(_f("low").str.strip_chars(), decimal))),
            high=_to_cents(scaled(_canonical_number(_f("high").str.strip_chars(), decimal))),
            single=_to_cents(scaled(_f("single"))),
        )
        .struct.with_fields(
            value=pl.when(_f("answer").is_not_null())
            .then(pl.lit(None, dtype=AMOUNT_DTYPE))
            .when(_f("is_range"))
            .then(midpoint.round(2, mode="half_away_from_zero").cast(AMOUNT_DTYPE, strict=False))
            .otherwise(_f("single"))
        )
        .struct.with_fields(
            result=pl.struct(
                value=_f("value").cast(AMOUNT_DTYPE),
                status=pl.when(_f("answer").is_not_null())
                .then(_f("answer"))
                .when(_f("value").is_null())
                .then(pl.lit("invalid"))
                .when(_f("is_range"))
                .then(pl.lit("range"))
                .otherwise(pl.lit("ok")),
            )
        )
        .struct.field("result")
    )


# Machine-written amounts per decimal mode: digits, an optional sign and at most one
# decimal separator followed by at most `{places}` digits, so the cast has nothing to
# round. In `auto` a point before exactly three digits after a short leading group
# reads as thousands (`1.234`), so that form is left to `parse_amount`.
_PLAIN_AMOUNT: Final[dict[str, str]] = {
    ",": r"^[-+]?[0-9]+(?:,[0-9]{{1,{places}}})?$",
    ".": r"^[-+]?[0-9]+(?:\.[0-9]{{1,{places}}})?$",
    "auto": r"^[-+]?[0-9]+(?:[,.][0-9]{{1,{places}}})?$",
}
_AUTO_THOUSANDS = r"^[-+]?[1-9][0-9]{0,2}\.[0-9]{3}$"


def _plain_value(text: pl.Expr, decimal: str, *, in_thousands: bool) -> pl.Expr:
    places = 5 if in_thousands else 2
    is_plain = text.str.contains(_PLAIN_AMOUNT[decimal].format(places=places))
    if decimal == "auto":
        is_plain = is_plain & ~text.str.contains(_AUTO_THOUSANDS)
    number = text if decimal == "." else text.str.replace(",", ".", literal=True)
    if in_thousands:
        value = (number.cast(pl.Decimal(38, 5), strict=False) * pl.lit(1000)).cast(AMOUNT_DTYPE, strict=False)
    else:
        value = number.cast(AMOUNT_DTYPE, strict=False)
    return pl.when(is_plain).then(value).otherwise(pl.lit(None, dtype=AMOUNT_DTYPE))


def parse_plain_amount(
    expr: pl.Expr, *, decimal: DecimalMode = "auto", in_thousands: pl.Expr | bool = False
) -> pl.Expr:
    """The fast path of `parse_amount` for machine-written cells: `Decimal(18, 2)` or null.

    A cell of only digits, an optional leading sign and at most one decimal separator
    with at most two decimals (`-1234,56` with `decimal=","`, `1234.5` with `"."`, either
    with `"auto"`) gets the value `parse_amount` gives it, through a pattern check and a
    direct cast, many times faster. Every other cell, empty ones and ones with more
    decimals included, is null here: parse those with `parse_amount`. `in_thousands` (a
    Boolean expression, or a constant) reads a row's cell in thousands of euros, like
    `parse_amount(..., in_thousands=True)`, with up to five decimals (whole cents).
    """
    _check_decimal(decimal)
    text = expr.cast(pl.String)
    if isinstance(in_thousands, pl.Expr):
        return (
            pl.when(in_thousands)
            .then(_plain_value(text, decimal, in_thousands=True))
            .otherwise(_plain_value(text, decimal, in_thousands=False))
        )
    return _plain_value(text, decimal, in_thousands=in_thousands)


def parse_percent(expr: pl.Expr) -> pl.Expr:
    """Parse a share into a struct of `value` (`Float64`, 0–100 scale) and `status` (text).

    `45%`, `45`, `45 procent` are 45.0; `45,5` is 45.5. A value strictly between 0 and 1
    written without a percent sign is a fraction: `0,45` and `0.45` are 45.0, while `1`
    stays 1.0. Numbers follow the `decimal="auto"` rule of `parse_amount`. Values outside
    0–100 come back unchanged with status `ok`; ranges are `invalid`.
    """
    fraction = _f("fraction")
    # The point moves two places in the text: in floats 0.45 * 100 is 45.00000000000001.
    shifted = pl.concat_str(
        fraction.str.pad_end(2, "0").str.slice(0, 2),
        pl.lit("."),
        fraction.str.slice(2).str.pad_end(1, "0"),
    )
    return (
        pl.struct(text=_clean_text(expr))
        .struct.with_fields(
            answer=_answer_status(_f("text")),
            has_sign=_f("text").str.contains(_PERCENT_SIGN),
            number=_canonical_number(_join_sign(_f("text").str.replace_all(_PERCENT_SIGN, " ")), "auto"),
        )
        .struct.with_fields(
            # Strictly between 0 and 1: no sign, no non-zero integer digit, a non-zero decimal.
            is_fraction=~_f("has_sign") & _f("number").str.contains(r"^0*\.[0-9]*[1-9]"),
            fraction=_f("number").str.extract(r"\.([0-9]*)$", 1),
        )
        .struct.with_fields(
            value=pl.when(_f("answer").is_not_null())
            .then(pl.lit(None, dtype=pl.Float64))
            .when(_f("is_fraction"))
            .then(shifted.cast(pl.Float64, strict=False))
            .otherwise(_f("number").cast(pl.Float64, strict=False))
        )
        .struct.with_fields(
            result=pl.struct(
                value=_f("value").cast(pl.Float64),
                status=pl.when(_f("answer").is_not_null())
                .then(_f("answer"))
                .when(_f("value").is_null())
                .then(pl.lit("invalid"))
                .otherwise(pl.lit("ok")),
            )
        )
        .struct.field("result")
    )


def parse_fte(expr: pl.Expr, *, decimal: DecimalMode = "auto") -> pl.Expr:
    """Parse a number of FTE into `Float64` by the number rules of `parse_amount`.

    `12,5` is 12.5 and `1.250` is 1250.0. Null for anything that is not a single number,
    including `n.v.t.`, `weet niet` and ranges.
    """
    _check_decimal(decimal)
    return (
        pl.struct(text=_join_sign(_clean_text(expr)))
        .struct.with_fields(number=_canonical_number(_f("text"), decimal))
        .struct.field("number")
        .cast(pl.Float64, strict=False)
    )


_TRUE_FLAGS: Final[list[str]] = ["1", "true", "ja", "j", "yes", "y", "waar", "x"]


def parse_flag(expr: pl.Expr) -> pl.Expr:
    """Parse a yes/no cell into `Boolean`, never null.

    True for `1`, `true`, `ja`, `j`, `yes`, `y`, `waar` and `x`, in any case and with any
    surrounding whitespace. Everything else is False: `0`, `false`, `nee`, `no`, empty,
    null and unrecognised text alike, because a flag that is not clearly set is not set.
    """
    return _clean_text(expr).is_in(_TRUE_FLAGS).fill_null(False)


_TIME = (
    r"(?:[ t](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<micro>[0-9]{1,6}))?)?)?$"
)
_ISO_DATE = r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
_DAY_FIRST_DATE = r"^(?P<day>[0-9]{1,2})[-/](?P<month>[0-9]{1,2})[-/](?P<year>[0-9]{4})"


def parse_timestamp(expr: pl.Expr) -> pl.Expr:
    """Parse a date or date-time into `Datetime("us")`, null when unparseable.

    Accepted: `2021-04-12 14:03:00`, `2021-04-12T14:03:00`, `2021-04-12`, and day-first
    `12-04-2021 14:03`, `12-4-2021 14:03:00`, `12/04/2021 14:03`; seconds and fractions of
    a second are optional. Dates with slashes or a trailing year are always day-first
    (Dutch), never month-first. Impossible dates such as `31-02-2021` are null. No time
    zone is applied.
    """

    def part(name: str, width: int) -> pl.Expr:
        return _f("found").struct.field(name).fill_null("0").str.zfill(width)

    canonical = pl.concat_str(
        part("year", 4),
        pl.lit("-"),
        part("month", 2),
        pl.lit("-"),
        part("day", 2),
        pl.lit(" "),
        part("hour", 2),
        pl.lit(":"),
        part("minute", 2),
        pl.lit(":"),
        part("second", 2),
        pl.lit("."),
        _f("found").struct.field("micro").fill_null("0").str.pad_end(6, "0"),
    )
    iso = _f("text").str.extract_groups(_ISO_DATE + _TIME)
    return (
        pl.struct(text=_clean_text(expr))
        .struct.with_fields(
            found=pl.when(iso.struct.field("year").is_not_null())
            .then(iso)
            .otherwise(_f("text").str.extract_groups(_DAY_FIRST_DATE + _TIME))
        )
        .struct.with_fields(
            canonical=pl.when(_f("found").struct.field("year").is_not_null())
            .then(canonical)
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        .struct.field("canonical")
        .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False)
        .cast(pl.Datetime("us"))
    )
