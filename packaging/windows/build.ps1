# Build the Windows bundle and its installer (run in PowerShell from anywhere in the checkout).
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Needs: Python 3.12+ (64-bit, python.org or `py` launcher), Inno Setup 6.3+ (ISCC.exe).
# Output: dist\kitchentable\ (the bundle) and dist\Kitchentable-<version>-setup.exe.
# Optional: $env:KITCHENTABLE_SIGN = "signtool sign /fd SHA256 /tr <timestamp-url> /td SHA256 /n <certificate subject>"
# signs both executables and the installer with the municipality's code-signing certificate.
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $Root

$Venv = Join-Path $Root ".venv"
$Python = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $Python)) {
    # Python 3.11 is refused: PySide6 6.12 corrupts None's reference count there.
    py -3.12 -m venv $Venv
    if ($LASTEXITCODE -ne 0) { throw "Python 3.12 not found: install it from python.org (64-bit)." }
}
# The locked versions with their hashes (requirements.lock), then the project itself.
& $Python -m pip install -q --require-hashes -r (Join-Path $Root "requirements.lock")
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
& $Python -m pip install -q --no-deps --no-build-isolation -e $Root
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

& $Python -m PyInstaller --noconfirm --clean --log-level WARN `
    --distpath dist --workpath build\pyinstaller packaging\kitchentable.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# The console twin prints the checks; the GUI executable has no console to print to.
& dist\kitchentable\kitchentable-cli.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "The bundle's self-test failed" }

$Version = (& $Python -c "import kitchentable; print(kitchentable.__version__)").Trim()
if ($env:KITCHENTABLE_SIGN) {
    foreach ($exe in "dist\kitchentable\Kitchentable.exe", "dist\kitchentable\kitchentable-cli.exe") {
        Invoke-Expression "$env:KITCHENTABLE_SIGN `"$exe`""
    }
}

$Iscc = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
if (-not (Test-Path $Iscc)) { throw "Inno Setup 6 not found at $Iscc (https://jrsoftware.org/isinfo.php)" }
& $Iscc /Q "/DAppVersion=$Version" packaging\windows\kitchentable.iss
if ($LASTEXITCODE -ne 0) { throw "ISCC failed" }
$Setup = "dist\Kitchentable-$Version-setup.exe"
if ($env:KITCHENTABLE_SIGN) { Invoke-Expression "$env:KITCHENTABLE_SIGN `"$Setup`"" }

$Size = (Get-ChildItem -Recurse dist\kitchentable | Measure-Object -Property Length -Sum).Sum / 1MB
Write-Output ("Bundle: dist\kitchentable ({0:N0} MB)" -f $Size)
Write-Output "Installer: $Setup"
