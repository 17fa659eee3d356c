"""De-identification: every kind of identifier replaced, consistent pseudonyms per tenant,
the mapping encrypted, dates shifted by one offset per patient, ages over 89."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from apps.medical_records.engine.deid import AGE_TOKEN, deidentify, find_dates, shift_date
from apps.medical_records.models import PseudonymEntry
from apps.medical_records.services import NoteInput, Pseudonymizer, note_structure
from apps.medical_records.services.identity import TOKEN
from tests.raw_sql import raw_text

pytestmark = pytest.mark.django_db

PLANTED = {
    "Margaret Oyelaran": "NAME",
    "Samuel Whitfield": "NAME",
    "00482913": "ID",
    "(617) 555-0142": "PHONE",
    "42 Willow Creek Road": "ADDRESS",
    "04/12/1931": "DATE",
    "March 3, 2024": "DATE",
    "94": "AGE",
}


def test_every_identifier_of_the_demo_note_is_replaced(tenant, demo_note):
    note = note_structure(tenant=tenant, item=NoteInput(text=demo_note), source="api")
    for value in PLANTED:
        assert value not in note.text, value
    assert "Oyelaran" not in note.text  # the surname alone ("Ms. Oyelaran") too
    assert AGE_TOKEN in note.text
    assert {"NAME", "ID", "PHONE", "ADDRESS", "DATE", "AGE"} <= set(note.phi_counts)
    # the clinical content stays
    assert "denies chest pain" in note.text


def test_email_ip_fax_insurance_and_chinese_identifiers(tenant):
    text = (
        "Pt: Walter Nguyen  Member ID: XGH448291170  SSN: 123-45-6789\n"
        "Email wnguyen@example.org, fax 503-555-0187, portal login from 10.24.3.17.\n"
        "His daughter Linda called."
    )
    result = deidentify(text, pseudonym=Pseudonymizer(tenant), date_offset_days=-40)
    for value in (
        "Walter Nguyen",
        "XGH448291170",
        "123-45-6789",
        "wnguyen@example.org",
        "503-555-0187",
        "10.24.3.17",
        "Linda",
    ):
        assert value not in result.text, value
    chinese = (
        "姓名：张伟  年龄：92岁  病历号：2023004512\n身份证号：110101193203150016  "
        "手机：13812345678\n住址：浙江省杭州市西湖区文三路138号\n患者张伟由李明医生接诊。"
    )
    result = deidentify(chinese, pseudonym=Pseudonymizer(tenant), date_offset_days=-40)
    for value in (
        "张伟",
        "92",
        "2023004512",
        "110101193203150016",
        "13812345678",
        "文三路138号",
        "李明",
    ):
        assert value not in result.text, value


def test_the_same_name_is_the_same_token_in_every_note_of_a_tenant(tenant, other_tenant):
    first = note_structure(
        tenant=tenant,
        source="api",
        item=NoteInput(text="Patient: Hannah Goldberg\nMrs. Goldberg denies fever."),
    )
    second = note_structure(
        tenant=tenant,
        source="api",
        item=NoteInput(text="Name: Hannah Goldberg\nFollow-up, cough improving."),
    )
    elsewhere = note_structure(
        tenant=other_tenant,
        source="api",
        item=NoteInput(text="Patient: Hannah Goldberg\nNo complaints."),
    )
    token = TOKEN.search(first.text).group()
    assert token in second.text
    assert first.text.count(token) == 2  # "Mrs. Goldberg" maps to the full name's token
    assert token not in elsewhere.text  # another tenant, another key
    assert first.patient == second.patient
    assert first.patient.pseudonym == token


def test_the_mapping_is_encrypted_at_rest(tenant):
    note = note_structure(
        tenant=tenant,
        source="api",
        item=NoteInput(text="Patient: Rosa Delgado\nDenies chest pain."),
    )
    token = TOKEN.search(note.text).group()
    entry = PseudonymEntry.objects.get(tenant=tenant, token=token)
    raw = raw_text(PseudonymEntry, "encrypted_value", entry.pk)  # under the tenant's data key
    assert "Rosa" not in raw and "Delgado" not in raw and raw.startswith("pv1:")
    assert entry.encrypted_value == "Rosa Delgado"


def test_dates_shift_by_one_offset_per_patient_so_intervals_survive(tenant):
    text = "Patient: Carlos Mendoza  MRN: 30077125\nAdmitted 01/15/2024, discharged 01/19/2024."
    first = note_structure(tenant=tenant, source="api", item=NoteInput(text=text))
    again = note_structure(
        tenant=tenant,
        source="api",
        item=NoteInput(text="Patient: Carlos Mendoza  MRN: 30077125\nSeen 2024-02-01."),
    )
    offset = first.patient.date_offset_days
    assert -365 <= offset <= -30
    assert again.patient == first.patient
    admitted, discharged = re.findall(r"\d\d/\d\d/\d{4}", first.text)
    as_date = [dt.datetime.strptime(d, "%m/%d/%Y").date() for d in (admitted, discharged)]
    assert as_date[0] == dt.date(2024, 1, 15) + dt.timedelta(days=offset)
    assert (as_date[1] - as_date[0]).days == 4
    assert str(dt.date(2024, 2, 1) + dt.timedelta(days=offset)) in again.text


@pytest.mark.parametrize(
    "written,expected",
    [
        ("March 3, 2024", "February 22, 2024"),
        ("3 Mar 2024", "22 Feb 2024"),
        ("2024-03-03", "2024-02-22"),
        ("03/03/24", "02/22/24"),
        ("2024年3月3日", "2024年2月22日"),
    ],
)
def test_each_date_format_is_shifted_in_its_own_format(written, expected):
    match = find_dates(f"seen {written}.")[0]
    assert shift_date(match, f"seen {written}.", -10) == expected


def test_only_ages_over_89_are_removed(tenant):
    result = deidentify(
        "A 91-year-old and an 89-year-old; 患者95岁。",
        date_offset_days=0,
        pseudonym=Pseudonymizer(tenant),
    )
    assert "91" not in result.text and "95" not in result.text
    assert "89-year-old" in result.text
