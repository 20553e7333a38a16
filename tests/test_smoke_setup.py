from tangguh.audit.selectors import audit_verify


def test_org_fixture_builds_a_valid_chain(org):
    report = audit_verify()
    assert report.ok and report.count > 10
