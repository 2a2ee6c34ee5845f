"""libretranslatepy, unmodified, against Passerelle at $PASSERELLE_URL with key $PASSERELLE_KEY.
A wrong key ($PASSERELLE_WRONG_KEY, when set) must be refused with the client's own error."""
import os
import sys
import urllib.error

from libretranslatepy import LibreTranslateAPI

url, key = os.environ["PASSERELLE_URL"], os.environ.get("PASSERELLE_KEY")
lt = LibreTranslateAPI(url, key)

languages = lt.languages()
french = next(l for l in languages if l["code"] == "fr")
assert "en" in french["targets"], languages

detected = lt.detect("Le conseil municipal a voté le budget mardi soir après un long débat.")
assert detected[0]["language"] == "fr", detected

english = lt.translate("Le conseil municipal a voté le budget mardi soir.", "fr", "en", timeout=300)
assert isinstance(english, str) and english.strip(), english

same = lt.translate("The council passed the budget for the schools on Tuesday evening after a long debate.", "auto", "en", timeout=300)
assert same == "The council passed the budget for the schools on Tuesday evening after a long debate.", same

wrong = os.environ.get("PASSERELLE_WRONG_KEY")
if wrong:
    try:
        LibreTranslateAPI(url, wrong).translate("Bonjour à tous.", "fr", "en")
        sys.exit("a wrong key was let in")
    except urllib.error.HTTPError as err:
        assert err.code == 403, err.code

print(english)
