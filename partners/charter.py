"""The charter articles that the platform's rules enforce, by number (see the default charter migration)."""

from __future__ import annotations

# Article numbers of the default charter (version 1). Guards cite them in their reasons, so a new
# charter version that renumbers its articles must keep these meanings or update this module.
SCOPE = "1"
CITIZENS_RIGHTS = "2"
LAW_AND_HUMAN_RIGHTS = "3"
NON_DISCRIMINATION = "4"
INDEPENDENCE = "5"
PARTICIPATION = "6"
ACCESS_TO_INFORMATION = "7"
OUTCOMES_AND_FOLLOW_UP = "8"
