# Windows: builds the one-folder app from build.spec and its installer with Inno Setup 6.
# Run in PowerShell from anywhere, with Python 3.11+ and Inno Setup (iscc.exe) installed:
#   powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1
#   → dist\vouch-desktop\ (vouch-desktop.exe, vouch-desktop-cli.exe), dist\Vouch-Desktop-VERSION-setup.exe
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
if (-not (Test-Path .venv\Scripts\pyinstaller.exe)) {
    python -m venv .venv
    .venv\Scripts\python -m pip install -q --upgrade pip
    .venv\Scripts\python -m pip install -q -e ".[test]"
}
.venv\Scripts\pyinstaller --noconfirm --log-level WARN build.spec
if ($LASTEXITCODE -ne 0) { throw "pyinstaller failed" }
& dist\vouch-desktop\vouch-desktop-cli.exe --self-check
if ($LASTEXITCODE -ne 0) { throw "the build is incomplete (see --self-check above)" }
$version = (& dist\vouch-desktop\vouch-desktop-cli.exe --version).Split(" ")[1]
$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" installers\windows\vouch-desktop.iss
if ($LASTEXITCODE -ne 0) { throw "iscc failed" }
Write-Host "built: dist\vouch-desktop and dist\Vouch-Desktop-$version-setup.exe"
