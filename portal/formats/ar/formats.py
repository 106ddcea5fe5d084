"""Arabic formats as used in Lebanon: day month year, 24-hour clock, Western digits and separators."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y، H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
# What people type: day first (never month first), ISO too; one list for every form (engine.dates).
from engine.dates import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS  # noqa: E402, F401
