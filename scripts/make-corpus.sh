#!/usr/bin/env bash
# Builds the benchmark corpus for `npm run bench:codec` and `npm run bench:cli` from pinned
# npm releases:
#   scripts/make-corpus.sh [OUTDIR]        (npm run bench:corpus; OUTDIR defaults to
#                                           .bench/corpus, where bench:cli looks)
# Layout (about 250 MB; a benchmark pairs each file with the next one in its folder, in
# version order: older = reference, newer = target):
#   A-ts-tgz/typescript-V.tgz   the registry tarball of typescript V (5.6.2 ... 5.8.3)
#   A-ts-tar/typescript-V.tar   the same, gunzipped
#   A-ts-zip/typescript-V.zip   the same files as a zip (each member deflated on its own)
#   B-biome/biome-V             the biome CLI's Linux x64 ELF binary, V = 1.9.0 ... 1.9.4
# Needs npm (the registry, through its usual client and config), tar, gzip, zip (Debian:
# apt-get install -y zip) and sha256sum. Every file is checked against the SHA-256 pinned
# below; the zips are made byte-reproducible (sorted members, fixed times, no extra fields),
# but a different `zip` build may still write other bytes, so for them a mismatch only warns.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/.bench/corpus}"

ts_versions=(5.6.2 5.6.3 5.7.2 5.7.3 5.8.2 5.8.3)
biome_versions=(1.9.0 1.9.1 1.9.2 1.9.3 1.9.4)

for tool in npm tar gzip zip sha256sum; do
  command -v "$tool" >/dev/null || { echo "make-corpus: $tool is missing" >&2; exit 1; }
done

work="$(mktemp -d -t dg-corpus.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/npm" "$work/new"/{A-ts-tgz,A-ts-tar,A-ts-zip,B-biome}

# pack SPEC: downloads the registry tarball of SPEC into $work/npm, prints its path.
pack() {
  local name
  name="$(cd "$work/npm" && npm pack --silent "$1" | tail -n 1)"
  echo "$work/npm/$name"
}

# npm tarballs carry 1985-10-26 08:15 UTC as every file's time; directories made by tar get
# the same, and zip writes DOS times in UTC, so that the archive does not depend on the clock.
epoch=499162500
for v in "${ts_versions[@]}"; do
  echo "typescript $v"
  tgz="$(pack "typescript@$v")"
  cp "$tgz" "$work/new/A-ts-tgz/typescript-$v.tgz"
  gzip -dc "$tgz" >"$work/new/A-ts-tar/typescript-$v.tar"
  x="$work/x-ts-$v"
  mkdir "$x"
  tar -xzf "$tgz" -C "$x"
  find "$x/package" -exec touch -h -d "@$epoch" {} +
  (cd "$x" && find package -print | LC_ALL=C sort |
    TZ=UTC zip -q -X -@ "$work/new/A-ts-zip/typescript-$v.zip")
  rm -rf "$x"
done
for v in "${biome_versions[@]}"; do
  echo "@biomejs/cli-linux-x64 $v"
  tgz="$(pack "@biomejs/cli-linux-x64@$v")"
  tar -xzf "$tgz" -C "$work/new" package/biome
  mv "$work/new/package/biome" "$work/new/B-biome/biome-$v"
  rmdir "$work/new/package"
done

# The pinned SHA-256 of every file (zips: as written by Debian's zip 3.0).
cat >"$work/sums" <<'EOF'
3c8bbde7a20c944becbafdc00eb96086a509ffebe1560b3a2faa5261ef379977  A-ts-tar/typescript-5.6.2.tar
5af0cc99b81eaea42daae41f273cc82628f8a11c12bfb00962b821853e81c1af  A-ts-tar/typescript-5.6.3.tar
56e2e3b825cf4a82c36f71b4e6e46fb76e51457593d2d184fc031603d2e80ad0  A-ts-tar/typescript-5.7.2.tar
b276e1d6fff55cb86703547ca3444b088746c3fe65eb9f7d3837609eb50e5698  A-ts-tar/typescript-5.7.3.tar
40f8d3d16b85c35caa2fa6f374441e57f0b5a4384de69cc831d48f6d0076fd06  A-ts-tar/typescript-5.8.2.tar
fa3010b6f1766c70aa66a3ab0336810437d4b8dd405c8b17e32735f8ea0e18cd  A-ts-tar/typescript-5.8.3.tar
6e954963e7689a13573927021cf1fe2d7f85d7808eba49f03f84cb5d77cdd6bf  A-ts-tgz/typescript-5.6.2.tgz
ef67f8d8ad895858024b7339d3e34bf112cae3c5db1f538c3079038b17ae30fa  A-ts-tgz/typescript-5.6.3.tgz
6826f763112d55de0093fd94a4257cabadf1f40b387757e7c68485fc971e886b  A-ts-tgz/typescript-5.7.2.tgz
80cfca1254bab8e81d639178e42d6406d856fba6e34cad60d1ab50ee6e5f7ebb  A-ts-tgz/typescript-5.7.3.tgz
ef938a45323df5775664ea5d55e8bc0ab2027a40db1ff857bb957fe7bbaa4434  A-ts-tgz/typescript-5.8.2.tgz
72e75dbeb92c2e6eb9a34cb59d74fab5c2ee6f32a0324a89405f6165d5a08374  A-ts-tgz/typescript-5.8.3.tgz
94be2d6ac438f2d7b1f4237b58fb49a9e81f225fc91c1bf60757f2de1ffd315d  A-ts-zip/typescript-5.6.2.zip
78ac25591bdc5d47cbc5d983c60744000e16fb9453e6919619aa43691e8a966c  A-ts-zip/typescript-5.6.3.zip
f21771186d3175a7d3cde993629ea14afefb00b9ef608dd8b194a4752fb1d687  A-ts-zip/typescript-5.7.2.zip
837c6aeef2d5c4a512ec1272c608464bc4584e458fbad1464f938e2a71853d69  A-ts-zip/typescript-5.7.3.zip
ba1b25700af20a16d9d56b4fde5bb962442c0e11d6f67ed0521124984f6740a7  A-ts-zip/typescript-5.8.2.zip
41a1bae0a5bf8db2a1bd131d495dbbb3e1a124ec34d411f6edcadcb62f0fec82  A-ts-zip/typescript-5.8.3.zip
0c9ccc002375f1ce5f78efe062665cc97e8cfb676818271ca63ea4e238400939  B-biome/biome-1.9.0
931aa434bdee3aca1ddb3119e97f1028b0b11cdc206107d9415e537f4dd8e27f  B-biome/biome-1.9.1
e17bb3d15fc192aa767ae7691302f4fd239e80ceaace4c3238857b9da0f43902  B-biome/biome-1.9.2
8486c25c33530f69f87cf8f7c36f61800b1068d768bf92de11f08a89e451985a  B-biome/biome-1.9.3
ce247fb644999ef52e5111dd6fd6e471019669fc9c4a44b5699721e39b7032c3  B-biome/biome-1.9.4
EOF
(cd "$work/new" && sha256sum -c "$work/sums") >"$work/check" 2>/dev/null || true
if grep -v '^A-ts-zip/' "$work/check" | grep -q -v ': OK$'; then
  grep -v ': OK$' "$work/check" >&2
  echo "make-corpus: the downloaded files are not the pinned ones; $out left as it was" >&2
  exit 1
fi
if grep -q -v ': OK$' "$work/check"; then
  grep -v ': OK$' "$work/check" >&2
  echo "make-corpus: warning: the zips differ from the pinned ones (another zip build?)" >&2
fi

mkdir -p "$out"
for series in A-ts-tgz A-ts-tar A-ts-zip B-biome; do
  rm -rf "${out:?}/$series"
  mv "$work/new/$series" "$out/$series"
done
du -sh "$out"/*/
