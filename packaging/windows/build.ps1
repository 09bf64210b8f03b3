# Build the SafeCard workstation MSI on a Windows build machine (docs/packaging.md, "Windows").
# NOT run here: PyInstaller does not cross-compile, and WiX runs on Windows only.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Needs: Python 3.11 (x64) on PATH, the .NET SDK 6+ (for `dotnet tool install wix`).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

python -m venv .venv-win
.\.venv-win\Scripts\python.exe -m pip install -e ".[package]"
$Version = .\.venv-win\Scripts\python.exe -c "from importlib.metadata import version; print(version('safecard'))"

# 1. The bundle: dist\safecard\ with safecard.exe (console: the command line) and
#    SafeCard.exe (windowed: the menu entry), Python and Qt inside.
.\.venv-win\Scripts\pyinstaller.exe --noconfirm --clean packaging\safecard.spec
& dist\safecard\safecard.exe --version
& dist\safecard\safecard.exe check --no-window

# 2. The MSI, with WiX v4 or v5 as a .NET tool.
dotnet tool install --global wix --version 5.*  2>$null
wix build packaging\windows\safecard.wxs -arch x64 `
    -d Version=$Version -d BundleDir=dist\safecard `
    -o dist\SafeCard-$Version-x64.msi
Write-Host "built dist\SafeCard-$Version-x64.msi"
