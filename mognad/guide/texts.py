"""The delivery guide's words: what each feed is for, how to fix each problem code, the
plan rules, the personnummer forms and the form-export examples (Swedish first)."""

from __future__ import annotations

FEED_TEXT: dict[str, tuple[str, str]] = {
    "survey": (
        "Enkätsvar: en rad per respondent (export från en DiMiOS-liknande mognadsenkät).",
        "Survey answers: one row per respondent (a DiMiOS-style maturity survey export).",
    ),
    "training": (
        "Utbildning: en rad per person och kurstillfälle (export från lärplattform/LMS "
        "eller närvarolista). xAPI-satser som JSON accepteras också.",
        "Training: one row per person and course event (an LMS or attendance export). "
        "xAPI statements as JSON are accepted too.",
    ),
    "hr": (
        "HR: en rad per anställning, en ögonblicksbild (export från HR-/lönesystemet).",
        "HR: one row per employment, a snapshot (an HR or payroll system export).",
    ),
}


# How a municipality fixes each problem code (Swedish, English). A code without advice here
# still appears in the guide with a general hint; add advice when a code is added.
FIX: dict[str, tuple[str, str]] = {
    "unreadable": (
        "Spara filen på nytt som CSV (UTF-8 eller Excels 'CSV (semikolonavgränsad)') eller "
        "som XLSX, och lämna den igen. Skicka inte PDF, ZIP eller lösenordsskyddade filer.",
        "Save the file again as CSV (UTF-8 or Excel's 'CSV (semicolon delimited)') or XLSX "
        "and deliver it again. Do not send PDF, ZIP or password-protected files.",
    ),
    "too_large": (
        "Filen är större än gränsen (MOGNAD_MAX_FILE_BYTES, 512 MB som standard) eller är en "
        "XLSX som packas upp till mer än 1 GB. Dela upp exporten i flera filer.",
        "The file is over the size limit (MOGNAD_MAX_FILE_BYTES, 512 MB by default) or is an "
        "XLSX that unpacks to more than 1 GB. Split the export into several files.",
    ),
    "empty_file": (
        "Filen har rubrikrad men inga datarader. Kontrollera urvalet i exporten.",
        "The file has a header but no data rows. Check the export's selection.",
    ),
    "unknown_municipality": (
        "Lägg filen i mappen med er fyrsiffriga kommunkod, t.ex. `ingest/2281/survey/`.",
        "Put the file in the folder named by your 4-digit municipality code, e.g. "
        "`ingest/2281/survey/`.",
    ),
    "unknown_feed": (
        "Lägg filen i en flödesmapp: `survey`, `training` eller `hr`.",
        "Put the file in a feed folder: `survey`, `training` or `hr`.",
    ),
    "missing_column": (
        "Lägg till kolumnen (rubriken står i kvittot). Se kolumnlistan för flödet; "
        "svenska och engelska rubriker accepteras, stora/små bokstäver spelar ingen roll.",
        "Add the column named in the receipt. See the feed's column list; Swedish and "
        "English headers are accepted, case does not matter.",
    ),
    "no_items": (
        "Enkätfilen saknar frågekolumner. Rubrikerna ska vara enkätens frågekoder "
        "(t.ex. F01–F15, A01–A15 eller DC11–DC54).",
        "The survey file has no item columns. Headers must be the instrument's item "
        "codes (e.g. F01–F15, A01–A15 or DC11–DC54).",
    ),
    "missing_value": (
        "Fyll i det obligatoriska värdet på raden (radnummer och kolumn står i kvittot), "
        "eller ta bort raden.",
        "Fill in the required value on the row (row number and column are in the "
        "receipt), or remove the row.",
    ),
    "invalid_date": (
        "Skriv datum som ÅÅÅÅ-MM-DD (t.ex. 2025-03-14); i HR-flödet går även ÅÅÅÅ-MM.",
        "Write dates as YYYY-MM-DD (e.g. 2025-03-14); the hr feed also accepts YYYY-MM.",
    ),
    "invalid_target_group": (
        "Använd förtroendevald, chef eller medarbetare.",
        "Use förtroendevald, chef or medarbetare.",
    ),
    "invalid_gender": (
        "Använd kvinna, man eller annat (K/M går bra); lämna tomt om uppgift saknas.",
        "Use kvinna, man or annat (K/M is fine); leave blank when unknown.",
    ),
    "unknown_instrument": (
        "Kolumnen enkät ska vara dimios eller digcomp, eller lämnas tom.",
        "The instrument column must be dimios or digcomp, or be left blank.",
    ),
    "invalid_answer": (
        "Svaren ska vara heltal. Lämna tomt, '-' eller 'vet ej' för inget svar.",
        "Answers must be whole numbers. Leave blank, '-' or 'vet ej' for no answer.",
    ),
    "out_of_scale": (
        "Svaret ligger utanför enkätens skala (DiMiOS 1–6, DigComp 1–8). Kontrollera att "
        "exporten ger svarsvärden och inte svarsalternativens ordningsnummer.",
        "The answer is outside the scale (DiMiOS 1–6, DigComp 1–8). Check that the export "
        "gives answer values, not option positions.",
    ),
    "duplicate_id": (
        "Varje svars-id får förekomma en gång per fil. Ta bort dubblettraderna.",
        "Each respondent id may occur once per file. Remove the duplicate rows.",
    ),
    "invalid_personnummer": (
        "Kontrollera personnumret/samordningsnumret på raden (format och kontrollsiffra). "
        "Kvittot visar aldrig själva numret, bara radnumret.",
        "Check the personnummer/samordningsnummer on the row (format and check digit). "
        "The receipt never shows the number itself, only the row number.",
    ),
    "invalid_status": (
        "Använd completed, passed, failed, incomplete eller started (eller slutförd, "
        "godkänd, underkänd, påbörjad).",
        "Use completed, passed, failed, incomplete or started (or the Swedish words).",
    ),
    "invalid_number": (
        "Skriv ett tal, med decimalkomma eller decimalpunkt (t.ex. 1,5 eller 75 %).",
        "Write a number, with decimal comma or point (e.g. 1,5 or 75 %).",
    ),
    "invalid_code": (
        "AID-koden ska vara sex siffror; formatera kolumnen som text i Excel så att "
        "inledande nollor behålls.",
        "The AID code must be six digits; format the column as text in Excel so that "
        "leading zeros are kept.",
    ),
    "wrong_municipality": (
        "Raden har en annan kommunkod än mappen filen lämnades i. Lämna varje kommuns rader "
        "i den kommunens mapp, eller ta bort kolumnen om filen bara gäller er kommun.",
        "The row has another municipality code than the folder the file was dropped in. "
        "Deliver each municipality's rows in its own folder.",
    ),
    "invalid_mapping": (
        "Mappningsfilen för ert flöde (`mappings/<kommunkod>/<flöde>.yaml`) har ett fel; "
        "kvittot säger vilken nyckel. Rätta den (se [mappning.md](mappning.md)) eller be länets "
        "datateam; pröva med `mognad check FIL --mapping FIL.yaml`.",
        "The mapping file for your feed has an error; the receipt names the key. Fix it (see "
        "mappning.md) and try it with `mognad check FILE --mapping FILE.yaml`.",
    ),
    "too_many_rejected": (
        "Mer än var femte rad underkändes (MOGNAD_MAX_REJECT_SHARE), så ingenting lästes in. "
        "Rätta raderna som kvittot listar och lämna hela filen igen.",
        "More than one row in five was rejected (MOGNAD_MAX_REJECT_SHARE), so nothing was "
        "loaded. Fix the rows the receipt lists and deliver the whole file again.",
    ),
}

FIX.update(
    {
        "unknown_feed": (
            "Lägg filen i en flödesmapp: `survey`, `training`, `hr` eller `plan`.",
            "Put the file in a feed folder: `survey`, `training`, `hr` or `plan`.",
        ),
        "invalid_plan_target_group": (
            "Använd förtroendevald, chef, medarbetare eller alla (alla = hela kommunen).",
            "Use förtroendevald, chef, medarbetare or alla (alla = everyone).",
        ),
        "duplicate_step": (
            "Varje steg ska ha ett eget namn i planen. Byt namn på eller ta bort dubbletten "
            "(kvittot visar raden där namnet först förekommer).",
            "Each step needs its own name in the plan. Rename or remove the duplicate (the "
            "receipt names the row where the name first occurs).",
        ),
        "due_before_start": (
            "Slutdatum (klart_senast) får inte ligga före startdatum. Rätta något av datumen.",
            "The due date (klart_senast) may not be before the start date. Fix either date.",
        ),
        "target_out_of_range": (
            "Målet är en andel i procent: ett tal från 0 till 100 (t.ex. 80 eller 75,5).",
            "The target is a percentage: a number from 0 to 100 (e.g. 80 or 75,5).",
        ),
        "unknown_after_step": (
            "Efter_steg ska vara namnet på ett annat steg i samma fil, skrivet exakt likadant "
            "(stora/små bokstäver spelar roll). Lämna tomt om steget inte följer något annat.",
            "after_step must be the name of another step of the same file, written exactly "
            "alike (case matters). Leave it blank when the step follows no other.",
        ),
        "plan_cycle": (
            "Följ efter_steg från steget: ni kommer tillbaka till samma steg. Ta bort en av "
            "länkarna så att ordningen får en början.",
            "Follow after_step from the step: you come back to the same step. Remove one of "
            "the links so that the order has a beginning.",
        ),
    }
)


PLAN_RULES = [
    "",
    "## Regler / Rules",
    "",
    "- En planfil är kommunens hela plan: den senast inlästa planfilen ersätter de tidigare "
    "(de tidigare finns kvar i arkivet och i leveransloggen). / A plan file is the "
    "municipality's whole plan: the latest loaded plan file replaces earlier ones (they stay "
    "in the archive and the ingest log).",
    "- `step` (steg) är ett kort namn, unikt i filen, t.ex. `1 Webbmodul chefer`. / A short "
    "name, unique in the file.",
    "- `target_group` (målgrupp): förtroendevald, chef, medarbetare eller `alla`; "
    "`department` (förvaltning) tomt = hela kommunen. / `alla` = everyone; a blank "
    "department = the whole municipality.",
    "- `course_codes` (kurskoder): en eller flera kurskoder åtskilda med `,` eller `;`; att "
    "slutföra någon av dem räcker för steget. En xAPI-kurs anges med sin aktivitets-IRI "
    "(`object.id`). Koderna jämförs exakt (efter att mellanslag runt dem tagits bort). / One "
    "or more course codes; completing any of them completes the step; an xAPI course is its "
    "activity IRI; codes match exactly (trimmed).",
    "- `due_on` (klart_senast) krävs och får inte ligga före `starts_on` (startdatum). / "
    "Required, not before `starts_on`.",
    "- `target_pct` (mål) 0–100, decimalkomma går bra. / 0–100, decimal comma allowed.",
    "- `after_step` (efter_steg) namnger ett steg i samma fil som ska vara gjort först; ett "
    "namn som inte finns, eller en cirkel (A efter B efter A), är ett problem på raden. / "
    "Names a step of the same file to be completed first; an unknown name or a cycle is a "
    "problem on that row.",
    "",
    "## Vad som räknas / What is counted",
    "",
    "- Stegets population (`headcount`): personerna i målgruppen (och förvaltningen) i den "
    "senaste HR-ögonblicksbilden på eller före `due_on` (eller i dag, så länge `due_on` "
    "ligger i framtiden). / The persons of the target group (and department) in the latest "
    "hr snapshot on or before `due_on` (or today while `due_on` is in the future).",
    "- `completed_persons`: de av dem som har slutfört (eller godkänts på) någon av stegets "
    "kurser senast `due_on`; `coverage_pct = 100 × completed_persons / headcount`. / Those "
    "of them with a completed or passed event of any of the step's courses on or before "
    "`due_on`.",
    "- `status`: `uppnått` när täckningen når målet, annars `pågår` till och med `due_on` "
    "och `ej uppnått` därefter. / `uppnått` when coverage reaches the target; otherwise "
    "`pågår` until `due_on`, `ej uppnått` after it.",
    "- `in_order_pct` (steg med efter_steg): andelen av stegets genomförare vars första "
    "genomförande av det tidigare stegets kurser ligger på eller före deras första "
    "genomförande av detta stegs kurser. / The share of the step's completers who completed "
    "the earlier step first (or the same day).",
    "- Färre än 5 personer visas aldrig (`..`). / Fewer than 5 persons are never shown.",
    "- Planen innehåller inga personuppgifter. / The plan holds no personal data.",
]


GENERIC_FIX = (
    "Läs meddelandet i kvittot och rätta filen; kontakta länets datateam vid frågor.",
    "Read the message in the receipt and fix the file; ask the county data team if unsure.",
)


PERSONNUMMER_TABLE = [
    "## Personnummer och samordningsnummer / Personal identity numbers",
    "",
    "De pseudonymiseras vid inläsning. / They are pseudonymised at ingest.",
    "",
    "| form | exempel / example | accepteras / accepted |",
    "|---|---|---|",
    "| `ÅÅÅÅMMDDNNNK` | `198112189876` | ja / yes |",
    "| `ÅÅÅÅMMDD-NNNK` | `19811218-9876` | ja / yes |",
    "| `ÅÅMMDD-NNNK` | `811218-9876` | ja / yes |",
    "| `ÅÅMMDDNNNK` | `8112189876` | ja / yes |",
    "| `ÅÅMMDD+NNNK` (100 år eller äldre / aged 100+) | `121212+1212` | ja / yes |",
    "| samordningsnummer (dag + 60 / day + 60) | `19701063-2391` | ja / yes |",
    "| fel kontrollsiffra `K` (Luhn) / wrong check digit | `19811218-9875` | nej / no |",
    "| löpnummer `NNN` = 000 (tilldelas aldrig / never issued) | `19800101-0001` | nej / no |",
    "| datum som inte finns, eller i framtiden / no such date, or in the future "
    "| `19800230-1234` | nej / no |",
    "| annat än siffror, `-`, `+` och mellanslag / other characters | `19811218/9876` | nej / no |",
]


MS_FORMS_EXAMPLE = """\
feed: survey
municipality_code: "2280"
instrument: dimios
columns:
  respondent_id: ID
  submitted_at: Tid för slutförande
  department: Vilken förvaltning arbetar du på?
constants:
  target_group: chef           # formuläret gick bara till chefer
items:                         # frågor vars text inte är kodbokens påstående
  F03: "Hur ofta använder du Teams/Skype: dagligen, veckovis – eller aldrig?"
"""


GOOGLE_FORMS_EXAMPLE = """\
feed: survey
municipality_code: "2281"
instrument: dimios
columns:
  respondent_id: "#rad"        # Google Forms har inget svars-id: radnumret används
  submitted_at: Tidstämpel
  target_group: Vilken roll har du?
  department: Vilken förvaltning arbetar du på?
values:
  target_group:
    Medarbetare: medarbetare
    Chef: chef
    Politiker: förtroendevald
items:
  F04: 'Sparar "e-tjänsterna" tid – för invånare, företag & föreningar?'
"""
