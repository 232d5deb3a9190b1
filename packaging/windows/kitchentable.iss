; Inno Setup 6 recipe: per-machine installer for the Windows one-folder bundle.
;
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\kitchentable.iss
;
; Input: dist\kitchentable\ (built by packaging\windows\build.ps1). Output:
; dist\Kitchentable-<version>-setup.exe. packaging\README.md has the silent-install commands.
;
; Installer options besides Inno's own (/VERYSILENT, /SUPPRESSMSGBOXES, /NORESTART, /LOG=...):
;   /PRESETS=<path>   copy that presets.json into the install folder (otherwise a presets.json
;                     lying beside the setup .exe is copied, if there is one)
; Uninstaller options (unins000.exe in the install folder):
;   /PURGEUSERDATA    also delete every Windows user's Kitchentable data on this computer
;                     (vaults, demo profile, logs). Without it the data stays; an interactive
;                     uninstall asks, with "No" as the default answer.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=x.y.z (packaging\windows\build.ps1 does)
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\kitchentable"
#endif

[Setup]
; The AppId identifies the installation for upgrades and uninstall: never change it.
AppId={{6B7E2C1A-3F4D-4E8B-9A51-2D6C0F8E4B37}
AppName=Kitchentable
AppVersion={#AppVersion}
AppVerName=Kitchentable {#AppVersion}
AppPublisher=Kitchentable
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Kitchentable
DisableDirPage=auto
DefaultGroupName=Kitchentable
DisableProgramGroupPage=yes
; Per machine: one installation in Program Files for every consultant on the laptop.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=Kitchentable-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayName=Kitchentable {#AppVersion}
UninstallDisplayIcon={app}\Kitchentable.exe
; Close a running Kitchentable before files are replaced (it autosaves every answer).
CloseApplications=yes
RestartApplications=no
; The per-user data folders are touched only on an explicit purge (see [Code]).
UsedUserAreasWarning=no

[Languages]
Name: "dutch"; MessagesFile: "compiler:Languages\Dutch.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
dutch.PurgeQuestion=Ook alle Kitchentable-gegevens van alle gebruikers op deze computer verwijderen (kluizen met zaken, demoprofiel, logbestanden)?%n%nZaken die nog niet met het kantoor zijn gesynchroniseerd gaan dan verloren. Kies Nee om de gegevens te bewaren.
english.PurgeQuestion=Also delete the Kitchentable data of every user on this computer (vaults with cases, demo profile, logs)?%n%nCases not yet synchronised with the office are lost. Choose No to keep the data.
dutch.DesktopIcon=Snelkoppeling op het bureaublad
english.DesktopIcon=Desktop shortcut

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopIcon}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; IT presets: /PRESETS=<path>, else a presets.json beside the setup .exe; none is fine.
Source: "{code:PresetsSource}"; DestDir: "{app}"; DestName: "presets.json"; Flags: external skipifsourcedoesntexist ignoreversion

[Icons]
Name: "{autoprograms}\Kitchentable"; Filename: "{app}\Kitchentable.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\Kitchentable"; Filename: "{app}\Kitchentable.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\Kitchentable.exe"; Description: "{cm:LaunchProgram,Kitchentable}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; A presets.json that IT copied in by hand belongs to the installation too.
Type: files; Name: "{app}\presets.json"
Type: dirifempty; Name: "{app}"

[Code]
const
  ProfileList = 'SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList';

function PresetsSource(Param: String): String;
begin
  Result := ExpandConstant('{param:PRESETS}');
  if Result = '' then
    Result := ExpandConstant('{src}\presets.json');
end;

function HasParam(const Name: String): Boolean;
var
  I: Integer;
begin
  Result := False;
  for I := 1 to ParamCount do
    if CompareText(ParamStr(I), Name) = 0 then
    begin
      Result := True;
      Exit;
    end;
end;

{ Kitchentable keeps each user's data in %LOCALAPPDATA%\Kitchentable (platformdirs:
  profile, demo profile, Logs). The uninstaller runs elevated as one user, so it walks every
  local user profile instead of using {localappdata}. }
procedure PurgeAllUsersData;
var
  Sids: TArrayOfString;
  I: Integer;
  Home: String;
begin
  if not RegGetSubkeyNames(HKLM64, ProfileList, Sids) then
    Exit;
  for I := 0 to GetArrayLength(Sids) - 1 do
  begin
    { S-1-5-21-...: real user accounts (not SYSTEM or service accounts). }
    if Pos('S-1-5-21-', Sids[I]) <> 1 then
      Continue;
    if not RegQueryStringValue(HKLM64, ProfileList + '\' + Sids[I], 'ProfileImagePath', Home) then
      Continue;
    StringChangeEx(Home, '%SystemDrive%', ExpandConstant('{sd}'), True);
    DelTree(Home + '\AppData\Local\Kitchentable', True, True, True);
    DelTree(Home + '\AppData\Roaming\Kitchentable', True, True, True);
    Log('Purged Kitchentable data under ' + Home);
  end;
  { Window geometry (QSettings) of the user running the uninstaller; not personal data. }
  RegDeleteKeyIncludingSubkeys(HKCU, 'Software\Kitchentable');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  if HasParam('/PURGEUSERDATA') then
    PurgeAllUsersData
  else if not UninstallSilent then
    if MsgBox(CustomMessage('PurgeQuestion'), mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      PurgeAllUsersData;
end;
