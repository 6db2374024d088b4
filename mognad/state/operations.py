"""Operations for the county data team (docs/runbook.md): each runbook step is one function.

    requeue(settings, file)                 quarantined file -> back into its inbox folder
    add_municipalities(settings, codes)     create inbox folders for municipalities
    backfill(settings, code, feed, files)   copy historical files into a municipality's inbox
    rotate_key(settings)                    new pseudonym key; the old one kept as _PREVIOUS
    rotate_archive_key(settings)            new archive key; every stored original re-encrypted
    purge_archive(settings, days, apply)    delete archived deliveries that are safe to delete
    show_original(settings, file, out)      decrypt one stored original for an administrator
    encrypt_zones(settings)                 encrypt clear-text originals of earlier versions

None of them deletes a delivered file without a durable copy elsewhere. The archive and
quarantine hold encrypted copies (mognad.state.vault); every function here that reads one
decrypts it, and writes what it takes out of a zone with mode 0600.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from mognad.config import FEEDS, Settings
from mognad.contract.reference import municipalities
from mognad.secrets import GENERATORS, read_secrets, write_secrets
from mognad.state import vault
from mognad.state.zones import ZoneReport, seal_zones

PREVIOUS_KEY = "MOGNAD_PSEUDONYM_KEY_PREVIOUS"


class OpsError(RuntimeError):
    """A refusal or failure with a one-line reason for the operator."""


def _attempts(settings: Settings) -> list[dict]:
    from mognad.state.ledger import read_attempts

    return read_attempts(settings.ledger_path)


def _original_name(stored: Path) -> str:
    """Zones store `<attempt_id>__<original name>`."""
    return stored.name.split("__", 1)[1] if "__" in stored.name else stored.name


# --- quarantine ---------------------------------------------------------------------------


def find_quarantined(settings: Settings, file: str) -> Path:
    """A quarantined file by path, by its stored name, or by its original name (latest)."""
    return find_stored(settings, file, (settings.quarantine,))


def find_stored(settings: Settings, file: str, zones: tuple[Path, ...] | None = None) -> Path:
    """A stored original (archive, quarantine) by path, by its stored name, or by its
    original name (the latest)."""
    zones = zones or (settings.archive, settings.quarantine)
    candidate = Path(file)
    if candidate.is_file() and any(z.resolve() in candidate.resolve().parents for z in zones):
        return candidate.resolve()
    matches = [
        p
        for zone in zones
        if zone.is_dir()
        for p in zone.rglob("*")
        if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
    ]
    exact = [p for p in matches if p.name == file]
    by_name = sorted((p for p in matches if _original_name(p) == file), key=lambda p: p.name)
    if exact:
        return exact[0].resolve()
    if by_name:
        return by_name[-1].resolve()
    where = "i karantän / quarantined" if len(zones) == 1 else "lagrad / stored"
    raise OpsError(f"ingen fil {where} heter / no file named {file!r}")


def _refuse_note(settings: Settings, src: Path) -> None:
    if vault.stored_kind(src) == vault.KIND_NOTE:
        note = vault.read_original(src, vault.keyring(settings)).decode("utf-8", "replace")
        raise OpsError(
            "leveransen var ingen vanlig fil, bara en anteckning sparades / the delivery was "
            f"not a regular file, only a note was kept: {note.strip()}"
        )


def requeue(settings: Settings, file: str, to_code: str | None = None) -> Path:
    """Move a quarantined file back into its inbox folder (after a fix), under its original
    name. `to_code` moves it to another municipality's folder (a file dropped in the wrong
    place). The quarantine copy is decrypted into the inbox (mode 0600) and then removed:
    moved, not copied; the ledger keeps the attempt."""
    src = find_quarantined(settings, file)
    rel = src.relative_to(settings.quarantine.resolve())
    code, feed = rel.parts[0], rel.parts[1] if len(rel.parts) > 2 else "_okänd"
    code = to_code or code
    if code not in municipalities():
        raise OpsError(
            f"{code!r} är ingen kommunkod; ange --to KOD / not a municipality code; use --to"
        )
    if feed not in FEEDS:
        raise OpsError(
            f"{feed!r} är inget flöde; lägg filen själv i rätt mapp / not a feed; "
            "move the file into the right folder yourself"
        )
    dest = settings.inbox / code / feed / _original_name(src)
    if dest.exists():
        raise OpsError(f"{dest} finns redan / already exists")
    _refuse_note(settings, src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    vault.decrypt_to(src, dest, vault.keyring(settings))
    src.unlink()
    _fsync_dir(src.parent)
    return dest


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- municipalities -----------------------------------------------------------------------


def add_municipalities(
    settings: Settings, codes: list[str] | None = None, county: str | None = None
) -> list[str]:
    """Create `ingest/<kod>/<feed>/` and `receipts/` for each municipality (or a county)."""
    known = municipalities()
    chosen = list(codes or [])
    if county:
        chosen += [m.code for m in known.values() if m.county_code == county.zfill(2)]
        if not chosen:
            raise OpsError(f"inget län med kod / no county with code {county!r}")
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise OpsError(f"okända kommunkoder / unknown municipality codes: {', '.join(unknown)}")
    for code in chosen:
        for sub in (*FEEDS, "receipts"):
            (settings.inbox / code / sub).mkdir(parents=True, exist_ok=True)
    return sorted(set(chosen))


def backfill(settings: Settings, code: str, feed: str, files: list[Path]) -> list[Path]:
    """Copy historical files into a municipality's inbox; `mognad ingest` takes them as any
    delivery (same checks, receipts, duplicates recognised by content). A stored original
    from an archive or quarantine (encrypted) is decrypted on the way, under its original
    name (mode 0600)."""
    if code not in municipalities():
        raise OpsError(f"okänd kommunkod / unknown municipality code {code!r}")
    if feed not in FEEDS:
        raise OpsError(f"okänt flöde / unknown feed {feed!r}")
    folder = settings.inbox / code / feed
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        f = Path(f)
        if not f.is_file():
            raise OpsError(f"ingen fil / not a file: {f}")
        sealed = vault.is_sealed(f)
        dest = folder / (_original_name(f) if sealed else f.name)
        if dest.exists():
            raise OpsError(f"{dest} finns redan / already exists")
        if sealed:
            _refuse_note(settings, f)
            vault.decrypt_to(f, dest, vault.keyring(settings))
        else:
            tmp = folder / f".{f.name}.part"
            shutil.copyfile(f, tmp)
            os.replace(tmp, dest)
        out.append(dest)
    return out


# --- pseudonym key ------------------------------------------------------------------------

ROTATE_EXPLANATION = """\
Byta pseudonymnyckel / rotate the pseudonym key

Personnummer ersätts vid inläsning av HMAC-SHA256(nyckel, personnummer). Med en ny nyckel
får samma person en ny pseudonym. Det betyder:
  - utbildning och HR som lästs in före bytet kopplas inte längre till leveranser efter
    bytet: täckningsgraden (fct_training_coverage) räknar då slutförda kurser före bytet
    bara mot HR-ögonblicksbilder som lästs in före bytet;
  - byt därför nyckel bara när den kan ha röjts, helst vid en programgräns, och be
    kommunerna leverera HR och en fullständig utbildningshistorik på nytt efteråt;
  - den gamla nyckeln sparas som MOGNAD_PSEUDONYM_KEY_PREVIOUS i hemlighetsfilen så att
    gamla pseudonymer kan spåras om det behövs; radera den när omleveransen är klar.
Enkätflödet påverkas inte (det har inga personnummer).

Personnummer become HMAC-SHA256(key, personnummer) at ingest. With a new key the same
person gets a new pseudonym: training and hr loaded before the rotation no longer join
with deliveries after it (coverage counts completions before the rotation only against
HR snapshots loaded before it). Rotate only when the key may be compromised, ideally at a
programme boundary, and ask municipalities to deliver HR and a full training history
again afterwards. The old key is kept as MOGNAD_PSEUDONYM_KEY_PREVIOUS in the secrets
file; delete it once the re-delivery is done. The survey feed is not affected.

Kör / run:  mognad rotate-key --yes
"""


def rotate_key(settings: Settings) -> str:
    """Write a new MOGNAD_PSEUDONYM_KEY into the secrets file, keeping the old one as
    MOGNAD_PSEUDONYM_KEY_PREVIOUS. Returns the secrets file path (never a key)."""
    if os.environ.get("MOGNAD_PSEUDONYM_KEY"):
        raise OpsError(
            "MOGNAD_PSEUDONYM_KEY är satt i miljön och går före hemlighetsfilen; byt den där "
            "/ the key is set in the environment, which overrides the secrets file; rotate it there"
        )
    path = settings.secrets_file
    current = read_secrets(path)
    old = current.get("MOGNAD_PSEUDONYM_KEY")
    if not old:
        raise OpsError(f"ingen nyckel i / no key in {path}; kör / run `mognad setup`")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if current.get(PREVIOUS_KEY):  # an earlier rotation: keep that key too, never drop one
        base = f"MOGNAD_PSEUDONYM_KEY_RETIRED_{stamp.replace('-', '').replace(':', '')}"
        retired, n = base, 1
        while retired in current:
            n += 1
            retired = f"{base}_{n}"
        current[retired] = current[PREVIOUS_KEY]
    current[PREVIOUS_KEY] = old
    current["MOGNAD_PSEUDONYM_KEY"] = GENERATORS["MOGNAD_PSEUDONYM_KEY"]()
    write_secrets(
        path,
        current,
        note=f"Pseudonym key rotated {stamp} (mognad rotate-key); old key in {PREVIOUS_KEY}.",
    )
    return str(path)


# --- archive key ----------------------------------------------------------------------------

ARCHIVE_ROTATE_EXPLANATION = f"""\
Byta arkivnyckel / rotate the archive key

Arkivet och karantänen har varje levererad fil krypterad med arkivnyckeln
({vault.ARCHIVE_KEY}). Ett byte skriver en ny nyckel i hemlighetsfilen, sparar den gamla
som {vault.PREVIOUS_ARCHIVE_KEY} och krypterar om varje lagrad fil med den nya, en fil i
taget (atomiskt): avbryts bytet kan varje fil ändå öppnas, med den gamla eller den nya
nyckeln, och samma kommando fortsätter där det slutade. När alla filer är omkrypterade tas
den gamla nyckeln bort ur hemlighetsfilen. Pseudonymerna påverkas inte. Kör gärna när
inläsningen står still (pausa DAG:en mognad_pipeline); spara en kopia av hemlighetsfilen
före bytet om äldre säkerhetskopior av arkivet ska gå att öppna.

The archive and quarantine hold every delivered file encrypted with the archive key. A
rotation writes a new key into the secrets file, keeps the old one as
{vault.PREVIOUS_ARCHIVE_KEY} and re-encrypts every stored file with the new key, one file at
a time (atomically): if it stops, every file still opens with the old or the new key, and
the same command resumes. Once every file is re-encrypted the old key is removed from the
secrets file. Pseudonyms are not affected. Best run while ingest is paused; keep a copy of
the secrets file from before the rotation if older archive backups must stay readable.

Kör / run:  mognad rotate-key --archive --yes
"""


@dataclass
class ArchiveRotation:
    secrets_file: str
    resumed: bool
    finished: bool
    report: ZoneReport


def rotate_archive_key(settings: Settings) -> ArchiveRotation:
    """Rotate the archive key: a new ``MOGNAD_ARCHIVE_KEY``, the old one kept as
    ``MOGNAD_ARCHIVE_KEY_PREVIOUS`` while every stored original is re-encrypted (each file
    atomically, so a stopped rotation leaves every file readable and is resumed by the
    next call, which finds the previous key still there). The previous key is removed only
    when no file needs it any more."""
    if os.environ.get(vault.ARCHIVE_KEY):
        raise OpsError(
            f"{vault.ARCHIVE_KEY} är satt i miljön och går före hemlighetsfilen; byt den där "
            "/ the key is set in the environment, which overrides the secrets file; rotate it there"
        )
    path = settings.secrets_file
    current = read_secrets(path)
    if not current.get(vault.ARCHIVE_KEY):
        raise OpsError(f"ingen arkivnyckel i / no archive key in {path}; kör / run `mognad setup`")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    resumed = bool(current.get(vault.PREVIOUS_ARCHIVE_KEY))
    if not resumed:
        current[vault.PREVIOUS_ARCHIVE_KEY] = current[vault.ARCHIVE_KEY]
        current[vault.ARCHIVE_KEY] = GENERATORS[vault.ARCHIVE_KEY]()
        write_secrets(
            path,
            current,
            note=f"Archive key rotation started {stamp} (mognad rotate-key --archive); the old "
            f"key stays in {vault.PREVIOUS_ARCHIVE_KEY} until every stored file is re-encrypted.",
        )
    keys = vault.load_keyring(path)
    zones = (settings.archive, settings.quarantine)
    report = seal_zones(zones, keys, reencrypt=True)
    if not report.failed:
        # a second pass: an ingest that read the old key just before the switch may have
        # stored a file with it while the first pass ran
        again = seal_zones(zones, keys, reencrypt=True)
        report.reencrypted += again.reencrypted
        report.encrypted += again.encrypted
        report.notes += again.notes
        report.failed = again.failed
    finished = not report.failed
    if finished:
        done = read_secrets(path)
        done.pop(vault.PREVIOUS_ARCHIVE_KEY, None)
        write_secrets(
            path,
            done,
            note=f"Archive key rotated {stamp} (mognad rotate-key --archive); every stored "
            "original re-encrypted, the old key removed.",
        )
    return ArchiveRotation(str(path), resumed, finished, report)


def encrypt_zones(settings: Settings) -> ZoneReport:
    """Encrypt the clear-text originals (and links) earlier versions left in the archive and
    quarantine, and set the modes (folders 0700, files 0600). Safe to run at any time."""
    return seal_zones((settings.archive, settings.quarantine), vault.keyring(settings))


def show_original(settings: Settings, file: str, out: Path) -> tuple[Path, int, int | None]:
    """Decrypt one stored original (archive or quarantine) to ``out`` (mode 0600, never
    over an existing file). Returns (stored file, bytes written, kind)."""
    src = find_stored(settings, file)
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise OpsError(f"{out} finns redan / already exists")
    written = vault.decrypt_to(src, out, vault.keyring(settings))
    return src, written, vault.stored_kind(src)


# --- archive retention --------------------------------------------------------------------


@dataclass
class PurgePlan:
    delete: list[Path] = field(default_factory=list)
    keep: list[tuple[Path, str]] = field(default_factory=list)  # (file, why kept)
    bytes: int = 0
    encrypted: ZoneReport | None = None  # clear-text originals encrypted first
    encrypt_error: str | None = None


def plan_purge(
    settings: Settings, older_than_days: float, now: dt.datetime | None = None
) -> PurgePlan:
    """Archived files older than the limit whose content is safe elsewhere: a `loaded`
    attempt whose load is in the raw zone, or a `duplicate` of such a load. Anything else
    (unknown to the ledger, raw load missing, too young) is kept, with the reason."""
    from mognad.ingest.land import load_dir

    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    limit = now - dt.timedelta(days=older_than_days)
    rows = _attempts(settings)
    by_path = {str(Path(r["stored_path"]).resolve()): r for r in rows if r.get("stored_path")}
    raw_by_sha: dict[tuple, bool] = {}
    for r in rows:
        if r["status"] == "loaded" and r.get("load_id"):
            present = (
                load_dir(settings.raw, r["feed"], r["municipality_code"], r["load_id"])
                / "data.parquet"
            ).exists()
            key = (r["municipality_code"], r["feed"], r["sha256"])
            raw_by_sha[key] = raw_by_sha.get(key, False) or present
    plan = PurgePlan()
    if not settings.archive.is_dir():
        return plan
    for f in sorted(p for p in settings.archive.rglob("*") if p.is_file()):
        r = by_path.get(str(f.resolve()))
        if r is None:
            plan.keep.append((f, "okänd i liggaren / not in the ledger"))
            continue
        received = dt.datetime.fromisoformat(r["received_at"].replace("Z", "+00:00"))
        if received.tzinfo:
            received = received.astimezone(dt.UTC).replace(tzinfo=None)
        if received > limit:
            plan.keep.append((f, "för ny / too recent"))
            continue
        if r["status"] not in ("loaded", "duplicate"):
            plan.keep.append((f, f"status {r['status']}"))
            continue
        if not raw_by_sha.get((r["municipality_code"], r["feed"], r["sha256"])):
            plan.keep.append((f, "saknas i rådatazonen / not in the raw zone"))
            continue
        plan.delete.append(f)
        plan.bytes += f.stat().st_size
    return plan


def purge_log_path(settings: Settings) -> Path:
    return settings.state / "purge_log.jsonl"


def purge_archive(settings: Settings, older_than_days: float, apply: bool = False) -> PurgePlan:
    """Delete what :func:`plan_purge` allows (only with ``apply``); every applied purge is
    logged as one JSON line in ``state/purge_log.jsonl`` (file names and counts, no content).
    An applied purge (the nightly housekeeping) first encrypts clear-text originals that
    earlier versions left (:func:`encrypt_zones`)."""
    encrypted, error = None, None
    if apply:
        try:
            encrypted = encrypt_zones(settings)
        except vault.NoArchiveKey as exc:
            error = str(exc)
    plan = plan_purge(settings, older_than_days)
    plan.encrypted, plan.encrypt_error = encrypted, error
    if apply:
        deleted = []
        for f in plan.delete:
            f.unlink()
            deleted.append(str(f.relative_to(settings.archive)))
        entry = {
            "purged_at": dt.datetime.now(dt.UTC).isoformat(),
            "older_than_days": older_than_days,
            "deleted": len(deleted),
            "bytes": plan.bytes,
            "kept": len(plan.keep),
            "files": deleted,
        }
        log = purge_log_path(settings)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
    return plan
