"""English as our readers in Sweden and Norway read it: dates year first, 24-hour times, the week
from Monday. Django's "en" is US English, whose 12/03/2026 reads as 3 December here and 12 March
there, on the same page as the ISO dates of logs and charts."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1
