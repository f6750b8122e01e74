; Inno Setup 6 script: a per-user Windows installer for Hearth from the PyInstaller build.
;
; Build (from the repository root, after PyInstaller produced dist\Hearth\hearth.exe):
;   iscc packaging\windows\hearth.iss
;   iscc /DAppVersion=0.1.0 /DDistDir=C:\path\to\dist\Hearth /DOutputDir=C:\out packaging\windows\hearth.iss
; Output: dist\Hearth-<version>-windows-x64-setup.exe
;
; Without /DAppVersion the version is read from [project] version in pyproject.toml.
; The installer needs no administrator rights: it installs into
; %LOCALAPPDATA%\Programs\Hearth, adds a Start-menu entry and registers an
; uninstaller under Settings > Apps (the user may still choose "all users" in a dialog).

#define AppName "Hearth"
#define AppExeName "hearth.exe"
#define Root AddBackslash(SourcePath) + "..\.."

; --- Version: /DAppVersion=... or the first line `version = "..."` of pyproject.toml ----------
#ifndef AppVersion
  #define AppVersion ""
  #define FileHandle
  #define FileLine
  ; 'version = "' is 11 characters: the value starts at 12 and ends before the last quote.
  #sub ReadVersionLine
    #define FileLine = FileRead(FileHandle)
    #if AppVersion == "" && Pos('version = "', FileLine) == 1
      #define AppVersion = Copy(FileLine, 12, RPos('"', FileLine) - 12)
    #endif
  #endsub
  #for {FileHandle = FileOpen(Root + "\pyproject.toml"); FileHandle && !FileEof(FileHandle); ""} ReadVersionLine
  #if FileHandle
    #expr FileClose(FileHandle)
  #endif
  #if AppVersion == ""
    #error Could not read the version from pyproject.toml; pass /DAppVersion=x.y.z
  #endif
#endif

; --- Where the PyInstaller one-folder build is, and where the installer goes -------------------
#ifndef DistDir
  #define DistDir Root + "\dist\Hearth"
#endif
#ifndef OutputDir
  #define OutputDir Root + "\dist"
#endif
#if !FileExists(DistDir + "\" + AppExeName)
  #error dist\Hearth\hearth.exe not found: run PyInstaller (packaging\hearth.spec) first, or pass /DDistDir=...
#endif

[Setup]
; AppId identifies the app for upgrades and the uninstaller: never change it between releases.
AppId={{E99C6020-D96A-42A2-A6A5-8F78818A4BAB}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Hearth contributors
VersionInfoVersion={#AppVersion}
; Per-user by default (no UAC prompt); {autopf} then means %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
; The bundled Python, Qt and llama.cpp are 64-bit only.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile={#Root}\packaging\icons\hearth.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
; lzma2 + solid: the app is mostly DLLs, which compress well together.
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Ask a running Hearth to close before files are replaced (Restart Manager).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder build: hearth.exe plus _internal\ (Python, Qt, llama.cpp DLLs, data).
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundled runtime wholesale, so files a newer build dropped do not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
; Start-menu entry (per-user or all-users Programs folder, matching the install mode).
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; Comment: "Chat with language models on your own computer"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder: chats, settings and downloaded models live in the user's data
; folder (platformdirs) and are deliberately kept.
Type: filesandordirs; Name: "{app}\_internal"
Type: dirifempty; Name: "{app}"
