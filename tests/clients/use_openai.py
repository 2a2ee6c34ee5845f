"""OpenAI's official Python client, unmodified, against Passerelle at $PASSERELLE_URL/v1 with key
$PASSERELLE_KEY: models, a chat completion whole and streamed. A wrong key
($PASSERELLE_WRONG_KEY, when set) must raise the client's own AuthenticationError."""
import os
import sys

import openai

url, key = os.environ["PASSERELLE_URL"], os.environ["PASSERELLE_KEY"]
client = openai.OpenAI(base_url=url + "/v1", api_key=key, timeout=300, max_retries=0)

models = client.models.list()
model = models.data[0].id
assert model, models

messages = [
    {"role": "system", "content": "You are a translator. Translate into English."},
    {"role": "user", "content": "Le conseil municipal a voté le budget mardi soir."},
]
whole = client.chat.completions.create(model=model, messages=messages, temperature=0.3, max_tokens=200)
text = whole.choices[0].message.content
assert text.strip() and whole.choices[0].finish_reason == "stop", whole
assert whole.usage.completion_tokens > 0 and whole.usage.total_tokens > whole.usage.completion_tokens, whole.usage

pieces = []
for chunk in client.chat.completions.create(model=model, messages=messages, stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
assert "".join(pieces) == text, (pieces, text)

wrong = os.environ.get("PASSERELLE_WRONG_KEY")
if wrong:
    try:
        openai.OpenAI(base_url=url + "/v1", api_key=wrong, max_retries=0).models.list()
        sys.exit("a wrong key was let in")
    except openai.AuthenticationError:
        pass

print(text)
