"""Terminal argv for every registry entry, the automatic choice, custom templates, no injection, and the
carrier (the real terminals themselves: test_real_terminals.py)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.terminals.test_platform_terminals import windows_title_and_command
from vouch_desktop.core.connect.terminals import CUSTOM, TerminalLauncher, expand, registry
from vouch_desktop.core.connect.terminals.carrier import Carried, carrier_command, decode, encode, printable
from vouch_desktop.core.connect.terminals.choice import automatic
from vouch_desktop.core.connect.terminals.linux import konsole_title
from vouch_desktop.core.connect.terminals.spec import qprocess_join
from vouch_desktop.core.connect.terminals.windows import powershell_argv
from vouch_desktop.core.errors import ValidationError
from vouch_desktop.core.system.detached import launch_detached
from vouch_desktop.core.system.own_command import own_command

CMD = ["aws", "ssm", "start-session", "--target", "i-0123456789abcdef0", "--region", "eu-west-1"]
TITLE = "web-1 (i-0123456789abcdef0)"


def carried(title: str = "", hold: bool = False) -> list[str]:
    return carrier_command(Carried(CMD, title, hold))


EXPECTED = {
    "gnome-terminal": ["gnome-terminal", f"--title={TITLE}", "--wait", "--", *CMD],
    "kgx": ["kgx", f"--title={TITLE}", "--", *CMD],
    "ptyxis": ["ptyxis", f"--title={TITLE}", "--new-window", "-x", shlex.join(CMD)],
    "konsole": ["konsole", "--nofork", "-p", f"tabtitle={TITLE}", "-e", *carried()],
    "xfce4-terminal": ["xfce4-terminal", f"--title={TITLE}", "-x", *CMD],
    "mate-terminal": ["mate-terminal", f"--title={TITLE}", "-x", *CMD],
    "lxterminal": ["lxterminal", f"--title={TITLE}", "-e", shlex.join(CMD)],
    "qterminal": ["qterminal", "-e", qprocess_join(carried(TITLE))],
    "tilix": ["tilix", "-e", shlex.join(carried(TITLE))],
    "terminator": ["terminator", f"--title={TITLE}", "-x", *carried()],
    "alacritty": ["alacritty", f"--title={TITLE}", "-e", *CMD],
    "kitty": ["kitty", f"--title={TITLE}", *CMD],
    "wezterm": ["wezterm", "start", "--always-new-process", "--", *carried(TITLE)],
    "foot": ["foot", f"--title={TITLE}", "--", *CMD],
    "xterm": ["xterm", "-T", TITLE, "-e", *CMD],
    "xdg-terminal-exec": ["xdg-terminal-exec", *carried(TITLE)],
    "x-terminal-emulator": ["x-terminal-emulator", "-e", *carried(TITLE)],
    "windows-terminal": ["wt.exe", "-w", "0", "new-tab", "--", *powershell_argv(CMD, TITLE)],
    "cmd": ["cmd.exe", "/c", "start", "Vouch Desktop", *powershell_argv(CMD, TITLE)],
}


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_exact_argv_of_every_terminal(platform):
    launcher = TerminalLauncher(platform=platform)
    for spec in registry(platform):
        assert spec.build(launcher.command_for(spec, list(CMD), TITLE), TITLE) == EXPECTED[spec.id], spec.id


def payload(argv: list[str]) -> Carried:
    """The carrier's payload: the last word of the terminal's argv (alone, or in its one command string)."""
    return decode(shlex.split(argv[-1])[-1])


def test_the_new_entries_are_there_and_every_one_shows_the_title():
    ids = {spec.id: spec for spec in registry("linux")}
    for wanted in ("kgx", "ptyxis", "terminator", "mate-terminal", "lxterminal", "qterminal", "wezterm"):
        assert wanted in ids
    launcher = TerminalLauncher(platform="linux")
    for spec in ids.values():
        argv = spec.build(launcher.command_for(spec, list(CMD), TITLE), TITLE)
        # the title is in the terminal's argv, or carried to the carrier, which sets it by escape sequence
        assert any(TITLE in a for a in argv[:-1]) or payload(argv).title == TITLE, spec.id


def test_keep_open_on_error_sends_every_linux_terminal_through_the_carrier():
    launcher = TerminalLauncher(platform="linux", hold_on_error=True)
    for spec in registry("linux"):
        argv = spec.build(launcher.command_for(spec, list(CMD), TITLE), TITLE)
        assert payload(argv).argv == CMD and payload(argv).hold_on_error, spec.id
    assert TerminalLauncher(platform="win32", hold_on_error=True).command_for(registry("win32")[0], CMD, "t") == CMD
    custom = TerminalLauncher(CUSTOM, "myterm -e {command}", platform="linux", hold_on_error=True).plan(CMD, "t")
    assert custom.argv[:2] == ["myterm", "-e"] and decode(custom.argv[-1]) == Carried(CMD, "", True)


def test_titles_lose_control_characters_before_any_terminal_sees_them():
    plan = TerminalLauncher(CUSTOM, "term --title {title} -e {command}", platform="linux").plan(
        CMD, "web\x1b]0;evil\x07\n1")
    assert plan.argv[:3] == ["term", "--title", "web]0;evil1"]


def test_konsole_titles_cannot_become_settings():
    argv = registry("linux")[3].build(["cmd"], "x;Environment=EVIL=1;Directory=/tmp %d")
    [setting] = [a for a in argv if a.startswith("tabtitle=")]
    assert ";" not in setting and "%" not in setting and setting.startswith("tabtitle=x")
    assert konsole_title("a;b%c") == "a\uff1bb\uff05c"


HOSTILE = st.lists(st.sampled_from(list("ab -;$`'\"\\|&(){}*\n\t!#~=%") + ["$(rm -rf ~)", "`id`", "--", "-e", "é"]),
                   max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(title=HOSTILE, target=HOSTILE, hold=st.booleans())
def test_hostile_titles_and_targets_never_add_arguments(title, target, hold):
    command = ["aws", "ssm", "start-session", "--target", target]
    for platform in ("linux", "win32"):
        launcher = TerminalLauncher(platform=platform, hold_on_error=hold)
        for spec in registry(platform):
            inner = launcher.command_for(spec, list(command), title)
            argv = spec.build(list(inner), title)
            clean = spec.build(launcher.command_for(spec, list(command), "T"), "T")
            if spec.id != "konsole":  # an empty or blank title is left out there
                assert len(argv) == len(clean), spec.id  # the title fills a slot, it never makes new ones
            if spec.id in ("tilix", "lxterminal", "ptyxis"):
                assert shlex.split(argv[-1]) == inner  # one string that splits back exactly
            elif spec.id == "qterminal":
                assert argv[-1] == qprocess_join(inner)
            elif platform == "win32":  # (tests/terminals/test_platform_terminals.py: what cmd and wt see)
                assert windows_title_and_command(argv) == (title, inner)
            else:
                assert argv[-len(inner):] == inner
            if inner != command:  # the carrier: decodes back to exactly the command
                assert decode(inner[-1]).argv == command


def test_qprocess_join_quotes_blanks_and_quotes_as_qt_documents():
    assert qprocess_join(["/opt/my app/vouch", "terminal-run", "00ff"]) == '"/opt/my app/vouch" terminal-run 00ff'
    assert qprocess_join(['say "hi"', ""]) == '"say """hi""""' + ' ""'


# -- the automatic choice ----------------------------------------------------------------------------------

def fake_system(installed: dict[str, str]):
    """which/realpath over a fake PATH: {name: real program path}."""
    def which(name: str) -> str | None:
        if os.path.isabs(name):
            return name if name in installed.values() or name in (f"/usr/bin/{n}" for n in installed) else None
        return f"/usr/bin/{name}" if name in installed else None

    def realpath(path: str) -> str:
        return installed.get(os.path.basename(path), path)
    return which, realpath


def pick(environ: dict[str, str], installed: dict[str, str]) -> tuple[str, str] | None:
    which, realpath = fake_system(installed)
    found = automatic(registry("linux"), environ, which, realpath)
    return (found.spec.id, found.reason) if found else None


ALL = {name: f"/usr/bin/{name}" for name in ("konsole", "gnome-terminal", "kgx", "xfce4-terminal", "xterm", "foot",
                                              "terminator", "kitty", "mate-terminal", "qterminal", "lxterminal")}


def test_terminal_env_wins_then_xdg_terminal_exec():
    assert pick({"TERMINAL": "kitty", "XDG_CURRENT_DESKTOP": "KDE"}, ALL) == ("kitty", "from $TERMINAL")
    assert pick({"TERMINAL": "/usr/bin/kitty"}, ALL)[0] == "kitty"
    assert pick({"TERMINAL": "not-installed", "XDG_CURRENT_DESKTOP": "KDE"}, ALL)[0] == "konsole"
    with_xte = {**ALL, "xdg-terminal-exec": "/usr/bin/xdg-terminal-exec"}
    assert pick({"XDG_CURRENT_DESKTOP": "KDE"}, with_xte) == ("xdg-terminal-exec", "through xdg-terminal-exec")
    which, realpath = fake_system({"my-term": "/opt/my-term"})
    unknown = automatic(registry("linux"), {"TERMINAL": "my-term"}, which, realpath)
    assert unknown.spec.build(["a b"], "t")[:2] == ["/usr/bin/my-term", "-e"]
    assert not unknown.spec.literal_args and not unknown.spec.sets_title


@pytest.mark.parametrize("desktop, expected", [
    ("KDE", "konsole"), ("GNOME", "kgx"), ("ubuntu:GNOME", "kgx"), ("XFCE", "xfce4-terminal"),
    ("MATE", "mate-terminal"), ("LXQt", "qterminal"), ("LXDE", "lxterminal"), ("X-Cinnamon", "gnome-terminal"),
])
def test_the_desktops_own_terminal(desktop, expected):
    assert pick({"XDG_CURRENT_DESKTOP": desktop}, ALL) == (expected, f"{desktop.split(':')[-1]}'s own terminal")


def test_gnome_without_console_uses_gnome_terminal():
    without_kgx = {k: v for k, v in ALL.items() if k != "kgx"}
    assert pick({"XDG_CURRENT_DESKTOP": "GNOME"}, without_kgx)[0] == "gnome-terminal"


def test_the_alternative_is_resolved_to_the_real_program_and_its_rules():
    system = {"x-terminal-emulator": "/usr/bin/terminator", "terminator": "/usr/bin/terminator",
              "xterm": "/usr/bin/xterm"}
    assert pick({}, system) == ("terminator", "the x-terminal-emulator alternative")
    wrapper = {"x-terminal-emulator": "/usr/bin/gnome-terminal.wrapper", "gnome-terminal": "/usr/bin/gnome-terminal"}
    assert pick({}, wrapper)[0] == "gnome-terminal"
    # chosen by name in Settings, it is resolved too
    which, realpath = fake_system(system)
    from vouch_desktop.core.connect.terminals.choice import resolve_program
    assert resolve_program("x-terminal-emulator", registry("linux"), which, realpath).id == "terminator"


def test_foot_only_under_wayland():
    only_foot = {"foot": "/usr/bin/foot"}
    assert pick({}, only_foot) is None
    assert pick({"TERMINAL": "foot"}, only_foot) is None
    assert pick({"WAYLAND_DISPLAY": "wayland-0"}, only_foot) == ("foot", "the first one found")
    assert pick({}, {**only_foot, "xterm": "/usr/bin/xterm"})[0] == "xterm"


def test_launcher_uses_the_chosen_or_the_automatic_terminal(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("kitty", "xterm"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    for var in ("TERMINAL", "XDG_CURRENT_DESKTOP", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert [s.id for s in TerminalLauncher(platform="linux").detect()] == ["kitty", "xterm"]
    assert TerminalLauncher(platform="linux").plan(CMD, TITLE).argv[0] == "kitty"
    assert TerminalLauncher(platform="linux", environ={"TERMINAL": "xterm"}).plan(CMD, TITLE).argv[0] == "xterm"
    assert TerminalLauncher("xterm", platform="linux").plan(CMD, TITLE).argv == EXPECTED["xterm"]
    with pytest.raises(Exception) as err:
        TerminalLauncher("konsole", platform="linux").plan(CMD, TITLE)
    assert "not installed" in str(err.value)
    assert TerminalLauncher(CUSTOM, "kitty --hold {command}", platform="linux").plan(CMD, TITLE).argv == \
        ["kitty", "--hold", *CMD]


# -- custom templates ------------------------------------------------------------------------------------------

def test_custom_template_placeholders():
    assert expand("myterm --title {title} -e {command}", CMD, {"title": TITLE}) == \
        ["myterm", "--title", TITLE, "-e", *CMD]
    assert expand("myterm -c 'run {command}' --name={target}", ["a b"], {"target": "i-1"}) == \
        ["myterm", "-c", "run 'a b'", "--name=i-1"]
    # every placeholder inside a larger piece is data for a shell, not code
    assert expand("sh -c 'echo {title}; exec {command}'", ["x"], {"title": "$(id); `id`"}) == \
        ["sh", "-c", "echo '$(id); `id`'; exec x"]


@pytest.mark.parametrize("template, message", [
    ("myterm -e", "needs {command}"), ("myterm 'oops {command}", "unbalanced quotes"),
    ("myterm {cmd}", "Unknown placeholder {cmd}"), ("myterm {command} {", "Stray brace"), ("", "empty"),
])
def test_bad_templates_get_specific_messages(template, message):
    with pytest.raises(ValidationError) as err:
        expand(template, CMD, {})
    assert message in err.value.message


@pytest.mark.parametrize("template, warned", [
    ("sh -c '{command}'", "quotes around {command}"),
    ('myterm -e "{command}"', "quotes around {command}"),
    ("sh -c {command}", "only the first word"),
    ("myterm --title={title} -e {command}", "shell-quoted"),
    ("myterm --title {title} -e {command}", None),
    ("sh -c 'exec {command}'", None),
    ("kitty {command}", None),
])
def test_templates_that_split_the_command_are_warned_about(template, warned):
    from vouch_desktop.core.connect.terminals import warnings

    found = warnings(template)
    assert (warned is None and found == []) or (warned is not None and any(warned in w for w in found)), found


VALUE = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12) | HOSTILE
WORD = st.text("abcxyz-_./:=", min_size=1, max_size=6)
NAMES = ("title", "target", "region", "profile")


@st.composite
def templates(draw):
    """A template that uses every placeholder, each alone, quoted alone, or inside a larger piece (in single
    or double quotes, or glued to literal text), with literal words between: (template, [(form, name,
    prefix, suffix) or a literal word])."""
    pieces, plan = [], []
    for name in draw(st.permutations(["command", *NAMES])):
        word = draw(WORD)
        pieces.append(word)
        plan.append(word)
        form = draw(st.sampled_from(["alone", "quoted", "single", "double", "glued"]))
        prefix, suffix = draw(WORD), draw(WORD)
        pieces.append({"alone": f"{{{name}}}", "quoted": f"'{{{name}}}'", "single": f"'{prefix} {{{name}}} {suffix}'",
                       "double": f'"{prefix} {{{name}}} {suffix}"', "glued": f"{prefix}{{{name}}}"}[form])
        plan.append((form, name, prefix, suffix))
    return " ".join(pieces), plan


@settings(max_examples=400, deadline=None)
@given(template=templates(), values=st.fixed_dictionaries({n: VALUE for n in NAMES}),
       command=st.lists(VALUE, min_size=1, max_size=4))
def test_every_placeholder_is_data_whatever_the_template(template, values, command):
    text, plan = template
    expected = []
    for step in plan:
        if isinstance(step, str):
            expected.append(step)
            continue
        form, name, prefix, suffix = step
        words = command if name == "command" else [values[name]]
        if form in ("alone", "quoted"):  # as it is: one argument (the command: its own arguments)
            expected.extend(words)
            continue
        quoted = shlex.join(command) if name == "command" else shlex.quote(values[name])
        piece = f"{prefix}{quoted}" if form == "glued" else f"{prefix} {quoted} {suffix}"
        expected.append(piece)
        # read by a shell, the piece gives back exactly the values as words: data, never code
        if form == "glued":
            assert shlex.split(piece) == [prefix + words[0], *words[1:]]
        else:
            assert shlex.split(piece) == [prefix, *words, suffix]
    assert expand(text, command, values) == expected


@pytest.fixture
def recorder(tmp_path):
    """A tiny program that writes the argv it received, as JSON, to the file named by its first argument."""
    script = tmp_path / "record_argv.py"
    script.write_text("import json, sys\nopen(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n")
    return script


@settings(max_examples=40, deadline=None)
@given(values=st.fixed_dictionaries({n: HOSTILE for n in NAMES}), args=st.lists(HOSTILE, max_size=4))
def test_a_real_shell_sees_every_placeholder_as_data(values, args, tmp_path_factory):
    """Through /bin/sh: the pieces it runs get every value back byte for byte, the command its argv, and
    nothing else runs (a value such as $(touch PWNED) stays text)."""
    folder = tmp_path_factory.mktemp("shell")
    script = folder / "rec.py"
    script.write_text("import json, sys\nopen(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n")
    printed, ran = folder / "printed", folder / "ran.json"
    template = (f"sh -c 'printf \"%s\\0\" {{title}} {{target}} {{region}} {{profile}} > {printed}; "
                f"exec {{command}}'")
    argv = expand(template, [sys.executable, str(script), str(ran), *args], values)
    subprocess.run(argv, cwd=folder, check=True, timeout=30)
    assert printed.read_bytes().split(b"\0")[:-1] == [values[n].encode() for n in NAMES]
    import json
    assert json.loads(ran.read_text()) == args
    assert sorted(p.name for p in folder.iterdir()) == ["printed", "ran.json", "rec.py"]


# -- the carrier -------------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(argv=st.lists(VALUE, min_size=1, max_size=6), title=VALUE, hold=st.booleans())
def test_the_carrier_payload_is_plain_hex_and_decodes_back(argv, title, hold):
    payload = encode(Carried(argv, title, hold))
    assert set(payload) <= set("0123456789abcdef")
    assert decode(payload) == Carried(argv, title, hold)


def test_titles_lose_their_control_characters():
    assert printable("a\x1b]0;evil\x07b\nc\u2028d\x9be") == "a]0;evilbcde"


def test_the_carrier_runs_the_command_literally_and_reports_a_missing_one(recorder, tmp_path):
    out = tmp_path / "out.json"
    hostile = ["$HOME", "", "a b", "--", "-e", "*", "it's", "line\nbreak"]
    result = subprocess.run(carrier_command(Carried([sys.executable, str(recorder), str(out), *hostile])),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    import json
    assert json.loads(out.read_text()) == hostile
    missing = subprocess.run(carrier_command(Carried(["/nonexistent/program"], "", True)), capture_output=True,
                             text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert missing.returncode == 127 and "cannot run /nonexistent/program" in missing.stderr
    bad = subprocess.run([*own_command(), "terminal-run", "zz"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "usage" in bad.stderr


# -- starting detached -----------------------------------------------------------------------------------------

def test_a_program_that_dies_at_once_is_reported_with_its_stderr():
    from vouch_desktop.core.system.detached import ExitedAtOnce

    with pytest.raises(ExitedAtOnce) as err:
        launch_detached(["sh", "-c", "echo 'Cannot open display' >&2; exit 3"], name="Some Terminal")
    assert err.value.code == 3 and "Cannot open display" in err.value.stderr
    assert err.value.message == "Some Terminal closed at once (exit code 3): Cannot open display"


def test_a_missing_program_and_a_quick_success_are_told_apart(tmp_path):
    from vouch_desktop.core.errors import ExternalToolError

    with pytest.raises(ExternalToolError) as err:
        launch_detached(["/nonexistent/terminal"])
    assert "could not be started" in err.value.message
    started = time.monotonic()
    assert launch_detached(["true"]) > 0  # handed over and left (a terminal server took it): not a failure
    assert time.monotonic() - started < 2.0


def test_programs_started_from_the_frozen_app_get_the_users_environment_back():
    from vouch_desktop.core.system.detached import outside_environment

    bundle = "/opt/vouch-desktop/_internal"
    frozen = {"LD_LIBRARY_PATH": bundle, "LD_LIBRARY_PATH_ORIG": "/usr/local/lib", "HOME": "/home/u",
              "QT_PLUGIN_PATH": f"{bundle}/PySide6/Qt/plugins", "PATH": "/usr/bin",
              "_PYI_ARCHIVE_FILE": "/opt/vouch-desktop/vouch-desktop", "_PYI_APPLICATION_HOME_DIR": bundle}
    assert outside_environment(frozen, bundle) == {"LD_LIBRARY_PATH": "/usr/local/lib", "HOME": "/home/u",
                                                   "PATH": "/usr/bin"}
    assert outside_environment({"LD_LIBRARY_PATH": bundle}, bundle) == {}
    assert outside_environment(frozen, "") == frozen  # from a source tree: as it is


@pytest.mark.desktop
def test_real_xterm_runs_the_command(tmp_path):
    marker = tmp_path / "ran"
    script = f"echo hello > {shlex.quote(str(marker))}"
    plan = TerminalLauncher("xterm", platform="linux").plan(["sh", "-c", script], "vouch test")
    pid = launch_detached(plan.argv)
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.read_text() == "hello\n"
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_terminal_that_dies_at_once_is_a_failed_connect_in_history(tmp_path, monkeypatch):
    import asyncio

    from vouch_desktop.core.connect.connector import Connection, Connector
    from vouch_desktop.core.storage.history import History
    from vouch_desktop.core.storage.profiles import InstanceProfile
    from vouch_desktop.core.storage.settings import Settings
    from vouch_desktop.core.system.detached import ExitedAtOnce

    history = History(tmp_path / "history.jsonl")
    connector = Connector(None, None, None, history, None)  # type: ignore[arg-type]  # plan_for is replaced
    dying = ["sh", "-c", "echo '# Error constructing proxy for org.gnome.Terminal' >&2; exit 1"]

    async def plan_for(profile, settings, target):
        return Connection(target, "eu-west-1", "vouch", "web-1", dying, "GNOME Terminal")

    monkeypatch.setattr(connector, "plan_for", plan_for)
    profile = InstanceProfile("web-1", "i-0123456789abcdef0", "eu-west-1")
    with pytest.raises(ExitedAtOnce) as err:
        asyncio.run(connector.connect_to(profile, Settings(), "i-0123456789abcdef0"))
    assert err.value.message == ("GNOME Terminal closed at once (exit code 1): # Error constructing proxy for "
                                 "org.gnome.Terminal")
    [entry] = history.recent()
    assert (entry.kind, entry.profile, entry.message) == ("connect_failure", "web-1", err.value.message)
    assert history.recent_connections() == []  # not offered as a "Recent" connection
