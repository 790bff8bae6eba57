"""The `linli` command as an administrator types it (tests/commands.py: in this process, and
in a real one where the exit code and stderr of a process are the point)."""

from __future__ import annotations

import pytest

from bot.cli import main
from tests.commands import linli, linli_process
from tests.conftest import SAMPLE_CSV


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["db"], ["db", "upgrade"], ["db", "current"], ["import"], ["import", "places"],
     ["export", "places"], ["admin"], ["admin", "grant"], ["admin", "revoke"], ["admin", "list"],
     ["admin", "committee"], ["admin", "committee", "grant"], ["admin", "committee", "revoke"],
     ["admin", "committee", "list"], ["reports"], ["reports", "departments"],
     ["reports", "departments", "add"], ["reports", "departments", "list"]],
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: linli") and len(out.splitlines()) > 3


def test_admin_workflow(db_url, tmp_path):
    out = linli_process("import", "places", str(SAMPLE_CSV), url=db_url)
    assert out.returncode == 1 and "linli db upgrade" in out.stderr
    assert "Traceback" not in out.stderr

    assert "latest schema" in linli("db", "upgrade", url=db_url).stdout
    first = linli("import", "places", str(SAMPLE_CSV), url=db_url)
    assert first.returncode == 0, first.stderr
    assert ("created 1 street, 2 community, 3 grid, 4 building, 7 unit, 64 household"
            in first.stdout)
    assert "100%" in first.stderr  # progress is shown
    second = linli("import", "places", str(SAMPLE_CSV), url=db_url)
    assert "created nothing new; 0 updated, 64 unchanged" in second.stdout

    granted = linli("admin", "grant", "--telegram-id", "555", "--role", "staff",
                    "--place", "城东街道/阳光社区", "--name", "王主任", url=db_url)
    assert granted.returncode == 0 and "Granted staff" in granted.stdout
    listed = linli("admin", "list", url=db_url).stdout
    assert "staff" in listed and "555" in listed and "城东街道/阳光社区" in listed
    missing = linli("admin", "grant", "--telegram-id", "555", "--role", "staff",
                    "--place", "城东街道/没有社区", url=db_url)
    assert missing.returncode == 1 and "No place named" in missing.stderr
    revoked = linli("admin", "revoke", "--telegram-id", "555", "--role", "staff",
                    "--place", "城东街道/阳光社区", url=db_url)
    assert "Revoked" in revoked.stdout
    assert "No roles granted yet" in linli("admin", "list", url=db_url).stdout

    exported = tmp_path / "out.csv"
    assert linli("export", "places", str(exported), url=db_url).returncode == 0
    assert sorted(exported.read_text(encoding="utf-8").splitlines()) == sorted(
        SAMPLE_CSV.read_text(encoding="utf-8").splitlines())


def test_bad_file_is_reported_by_line(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}"
    linli("db", "upgrade", url=url)
    bad = tmp_path / "bad.csv"
    bad.write_text("street,community,grid,building,unit,room,floor_area_m2\n"
                   "S,C,G,1栋,1单元,101,80\nS,C,G,,1单元,102,80\nS,C,G,1栋,1单元,103,-1\n",
                   encoding="utf-8")
    result = linli("import", "places", str(bad), url=url)
    assert result.returncode == 1
    assert f"{bad}:3: empty building" in result.stderr
    assert f"{bad}:4: floor_area_m2 -1" in result.stderr
    assert "nothing was imported" in result.stderr
    assert "64" not in linli("export", "places", url=url).stdout
    assert linli("export", "places", url=url).stdout.strip() == \
        "street,community,grid,building,unit,room,floor_area_m2"


@pytest.mark.parametrize(
    ("token", "words"),
    [(None, "No bot token"), ("not-a-token", "does not look like a bot token")],
)
def test_run_without_a_good_token_says_what_to_do(tmp_path, token, words):
    env = {"LINLI_BOT_TOKEN": token} if token else {}
    result = linli_process("run", url=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}", env=env)
    assert result.returncode == 1
    assert words in result.stderr and "linli sandbox" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_setting_is_one_line(tmp_path):
    result = linli_process("db", "upgrade", url=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}",
                           env={"LINLI_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 1 and "LINLI_TIMEZONE" in result.stderr
    assert "Traceback" not in result.stderr


def test_staff_seat_an_estates_committee(db_url):
    assert linli("db", "upgrade", url=db_url).returncode == 0
    imported = linli("import", "places", str(SAMPLE_CSV), url=db_url)
    assert "2 estate(s) created, 4 building(s) put in an estate" in imported.stdout
    garden = "城东街道/阳光社区/阳光花园"
    granted = linli("admin", "committee", "grant", "--telegram-id", "777", "--estate", garden,
                    "--body", "preparatory", "--name", "刘筹备", url=db_url)
    assert granted.returncode == 0 and "Seated 777 on the preparatory" in granted.stdout
    again = linli("admin", "committee", "grant", "--telegram-id", "777", "--estate", garden,
                  "--body", "preparatory", url=db_url)
    assert "already sits on the preparatory" in again.stdout
    linli("admin", "committee", "grant", "--telegram-id", "778", "--estate",
          "城东街道/桂花社区/桂花苑", url=db_url)
    listed = linli("admin", "committee", "list", "--estate", garden, url=db_url).stdout
    assert "preparatory" in listed and "777" in listed and "刘筹备" in listed
    assert garden in listed and "778" not in listed
    assert "778" in linli("admin", "committee", "list", url=db_url).stdout
    missing = linli_process("admin", "committee", "grant", "--telegram-id", "777", "--estate",
                            "城东街道/阳光社区/没有小区", url=db_url)
    assert missing.returncode == 1 and "No estate named" in missing.stderr
    assert "Traceback" not in missing.stderr
    vague = linli("admin", "committee", "list", "--estate", "阳光花园", url=db_url)
    assert vague.returncode == 1 and "--estate needs the community's names" in vague.stderr
    revoked = linli("admin", "committee", "revoke", "--telegram-id", "777", "--estate", garden,
                    url=db_url)
    assert "Revoked 777's seat" in revoked.stdout
    assert "777" not in linli("admin", "committee", "list", url=db_url).stdout
    nothing = linli("admin", "committee", "revoke", "--telegram-id", "777", "--estate", garden,
                    url=db_url)
    assert nothing.returncode == 0 and "Nothing to revoke" in nothing.stdout
