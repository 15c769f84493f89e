; Inno Setup script for Vouch Desktop (Windows). Built by installers\windows\build.ps1, which
; passes the version:   iscc /DAppVersion=0.1.0 installers\windows\vouch-desktop.iss
; Installs per user (no administrator rights), adds a Start-menu entry and, if ticked, starts the
; app at sign-in through the same Run value the app's own "Start at login" setting uses.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z vouch-desktop.iss
#endif

[Setup]
AppId={{5E0C1A7B-7C1D-4D0B-9B6E-7A3C2F6E9D41}
AppName=Vouch Desktop
AppVersion={#AppVersion}
AppPublisher=Vouch Desktop developers
AppPublisherURL=https://github.com/vouch-sh/vouch
DefaultDirName={autopf}\Vouch Desktop
DefaultGroupName=Vouch Desktop
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Vouch-Desktop-{#AppVersion}-setup
SetupIconFile=..\..\build\icons\app.ico
UninstallDisplayIcon={app}\vouch-desktop.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; the app may be running (it lives in the tray): ask it to close before files are replaced
CloseApplications=yes

[Tasks]
Name: "startatlogin"; Description: "Start Vouch Desktop when I sign in"; GroupDescription: "Start-up:"

[Files]
; the one-folder build: vouch-desktop.exe (windowed, the tray app) and vouch-desktop-cli.exe (console)
Source: "..\..\dist\vouch-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Vouch Desktop"; Filename: "{app}\vouch-desktop.exe"
Name: "{group}\Uninstall Vouch Desktop"; Filename: "{uninstallexe}"

[Registry]
; the same value as vouch_desktop/core/autostart/windows.py, so the setting and the installer agree
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "VouchDesktop"; ValueData: """{app}\vouch-desktop.exe"" --autostart"; Tasks: startatlogin; Flags: uninsdeletevalue

[Run]
Filename: "{app}\vouch-desktop.exe"; Description: "Start Vouch Desktop now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{app}\vouch-desktop-cli.exe"; Parameters: "quit"; Flags: runhidden; RunOnceId: "QuitVouchDesktop"
