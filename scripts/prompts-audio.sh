#!/bin/sh
# Makes the Kazakh hotline prompts as WAV files from configs/prompts/kk.json
# with espeak-ng's Kazakh voice: Twilio has no Kazakh text-to-speech, so the
# service <Play>s these from AUDIO_DIR (default var/audio) at
# /twilio/audio/kk/<prompt>.wav.
#
# A recorded human voice replaces any prompt: drop <prompt>.wav into
# $AUDIO_DIR/kk/. This script never overwrites a file it did not make (it
# lists the ones it made in .generated), so rerunning it after the texts
# change keeps the recordings. The WAVs are build output: never commit them.
#
# Usage: scripts/prompts-audio.sh [AUDIO_DIR]   (needs espeak-ng and python3)
set -eu
cd "$(dirname "$0")/.."
out="${1:-${AUDIO_DIR:-var/audio}}/kk"
if ! command -v espeak-ng >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	echo "prompts-audio: installing espeak-ng"
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) || true
fi
for tool in espeak-ng python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "prompts-audio: $tool is missing (apt-get install espeak-ng python3)" >&2; exit 1; }
done
mkdir -p "$out"
touch "$out/.generated"
# One line per file: name<TAB>text. {name} is said by the service after the
# recording, so it is left out of the audio.
python3 - configs/prompts/kk.json <<'PY' |
import json, sys
p = json.load(open(sys.argv[1], encoding="utf-8"))
for k, v in sorted(p["texts"].items()):
    print(k + "\t" + " ".join(v.replace("{name}", "").split()))
for c, v in sorted(p["chars"].items()):
    print("char_" + c + "\t" + v)
PY
while IFS="$(printf '\t')" read -r name text; do
	file="$out/$name.wav"
	if [ -e "$file" ] && ! grep -qx "$name.wav" "$out/.generated"; then
		echo "prompts-audio: keeping $file (not made by this script)"
		continue
	fi
	espeak-ng -v kk -s 140 -w "$file" "$text"
	grep -qx "$name.wav" "$out/.generated" || echo "$name.wav" >>"$out/.generated"
done
echo "prompts-audio: Kazakh prompts in $out"
