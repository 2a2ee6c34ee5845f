"""DeepL's official Python client, unmodified, against Passerelle at $PASSERELLE_URL with key
$PASSERELLE_KEY. A wrong key ($PASSERELLE_WRONG_KEY, when set) must raise the client's own
AuthorizationException."""
import os
import sys

import deepl

url, key = os.environ["PASSERELLE_URL"], os.environ["PASSERELLE_KEY"]
translator = deepl.Translator(key, server_url=url)

sources = [l.code for l in translator.get_source_languages()]
assert "FR" in sources, sources
targets = [l.code for l in translator.get_target_languages()]
assert "EN-GB" in targets and "EN-US" in targets, targets

one = translator.translate_text("Le conseil municipal a voté le budget mardi soir.", target_lang="EN-GB")
assert one.text.strip() and one.detected_source_lang == "FR", one
assert one.billed_characters == len("Le conseil municipal a voté le budget mardi soir."), one

many = translator.translate_text(
    ["Les travaux commenceront au printemps.", "The mayor promised a public meeting about the new school before the summer."],
    source_lang="FR" if os.environ.get("PASSERELLE_SOURCE_GIVEN") else None,
    target_lang="EN-US",
)
assert len(many) == 2 and all(r.text.strip() for r in many), many
assert many[1].text == "The mayor promised a public meeting about the new school before the summer.", many[1]

html = translator.translate_text(
    '<p>Lire <a href="https://news.example/a/1">l\'article</a> <span translate="no">:chat:</span></p>',
    target_lang="EN-GB",
    tag_handling="html",
)
assert '<a href="https://news.example/a/1">' in html.text and '<span translate="no">:chat:</span>' in html.text, html.text

usage = translator.get_usage()
assert usage.character.count >= one.billed_characters, usage

wrong = os.environ.get("PASSERELLE_WRONG_KEY")
if wrong:
    try:
        deepl.Translator(wrong, server_url=url).translate_text("Bonjour.", target_lang="EN-GB")
        sys.exit("a wrong key was let in")
    except deepl.AuthorizationException:
        pass

print(one.text)
