#!/usr/bin/env bash
# Makes the video and audio clips of tests/fixtures/clean/ (committed; the tests only read them):
# a clip and its copy with the first second cut and re-encoded with another codec, two unrelated
# clips; a melody, its copy resampled, quieter and re-encoded, and another melody. Needs the ffmpeg
# command line with libx264 and libmp3lame (Debian: apt-get install ffmpeg).
set -euo pipefail
cd "$(dirname "$0")/../tests/fixtures/clean"
q=(-loglevel error -y)
ffmpeg "${q[@]}" -f lavfi -i "testsrc2=size=128x96:rate=10:duration=4" -c:v libx264 -crf 26 -pix_fmt yuv420p v_base.mp4
ffmpeg "${q[@]}" -ss 1 -i v_base.mp4 -c:v mpeg4 -q:v 10 v_trimmed_reencoded.mp4
ffmpeg "${q[@]}" -f lavfi -i "mandelbrot=size=128x96:rate=10" -t 4 -c:v libx264 -crf 26 -pix_fmt yuv420p v_other.mp4
ffmpeg "${q[@]}" -f lavfi -i "testsrc=size=128x96:rate=10:duration=4" -c:v libx264 -crf 26 -pix_fmt yuv420p v_other2.mp4
ffmpeg "${q[@]}" -f lavfi -i "aevalsrc=0.4*sin(2*PI*(440+220*floor(2*t))*t)+0.2*sin(2*PI*660*t):s=22050:d=5" \
  -c:a libmp3lame -b:a 48k a_base.mp3
ffmpeg "${q[@]}" -i a_base.mp3 -ar 16000 -af volume=0.6 -c:a libmp3lame -b:a 32k a_reencoded.mp3
ffmpeg "${q[@]}" -f lavfi -i "aevalsrc=0.4*sin(2*PI*(300+150*mod(floor(3*t)\,4))*t):s=22050:d=5" \
  -c:a libmp3lame -b:a 48k a_other.mp3
