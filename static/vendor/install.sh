#!/usr/bin/env bash
# Vendor the map libraries from the npm registry into static/vendor/ (never a CDN at run time).
#   bash static/vendor/install.sh
# Each library gets its dist files, its LICENSE and a VERSION file; commit the result.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LEAFLET_VERSION=1.9.4
MARKERCLUSTER_VERSION=1.5.3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fetch() {  # fetch NAME VERSION -> unpacked package in $WORK/NAME
  (cd "$WORK" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$WORK/$1"
  tar -xzf "$WORK/$1-$2.tgz" -C "$WORK/$1" --strip-components=1
}

fetch leaflet "$LEAFLET_VERSION"
rm -rf "$HERE/leaflet" && mkdir -p "$HERE/leaflet/images"
cp "$WORK/leaflet/dist/leaflet.js" "$WORK/leaflet/dist/leaflet.css" "$HERE/leaflet/"
cp "$WORK/leaflet/dist/images/"*.png "$HERE/leaflet/images/"
cp "$WORK/leaflet/LICENSE" "$HERE/leaflet/LICENSE"
echo "leaflet $LEAFLET_VERSION (npm)" > "$HERE/leaflet/VERSION"

fetch leaflet.markercluster "$MARKERCLUSTER_VERSION"
rm -rf "$HERE/leaflet.markercluster" && mkdir -p "$HERE/leaflet.markercluster"
cp "$WORK/leaflet.markercluster/dist/leaflet.markercluster.js" \
   "$WORK/leaflet.markercluster/dist/MarkerCluster.css" \
   "$WORK/leaflet.markercluster/dist/MarkerCluster.Default.css" "$HERE/leaflet.markercluster/"
cp "$WORK/leaflet.markercluster/MIT-LICENCE.txt" "$HERE/leaflet.markercluster/LICENSE"
echo "leaflet.markercluster $MARKERCLUSTER_VERSION (npm)" > "$HERE/leaflet.markercluster/VERSION"
find "$HERE/leaflet" "$HERE/leaflet.markercluster" -type f -exec chmod 644 {} +
echo "vendored into $HERE"
