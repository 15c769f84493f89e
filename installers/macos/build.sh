#!/usr/bin/env bash
# macOS: builds "Vouch Desktop.app" from build.spec (menu-bar only: LSUIElement in Info.plist, so no
# Dock icon) and a drag-to-Applications .dmg. Runs on a Mac with Python 3.11+ and Xcode's tools:
#   installers/macos/build.sh            → dist/Vouch Desktop.app, dist/Vouch-Desktop-VERSION.dmg
# Signing: ad hoc by default; set CODESIGN_IDENTITY="Developer ID Application: …" to sign for
# distribution (then notarize the .dmg with `xcrun notarytool submit --wait`).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(uname -s)" = Darwin ] || { echo "build.sh: run this on macOS" >&2; exit 1; }
[ -x .venv/bin/pyinstaller ] || scripts/setup
.venv/bin/pyinstaller --noconfirm --log-level WARN build.spec
app="dist/Vouch Desktop.app"
"$app/Contents/MacOS/vouch-desktop" --self-check
version="$("$app/Contents/MacOS/vouch-desktop" --version | awk '{print $2}')"
codesign --force --deep --options runtime --sign "${CODESIGN_IDENTITY:--}" "$app"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
dmg="dist/Vouch-Desktop-$version.dmg"
hdiutil create -volname "Vouch Desktop" -srcfolder "$stage" -ov -format UDZO "$dmg"
echo "built: $app and $dmg ($(du -sh "$app" | cut -f1) on disk, .dmg $(du -h "$dmg" | cut -f1))"
