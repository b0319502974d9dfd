"""Glossaries and terms; metadata forms and asset types, in the portal."""

import pytest

from portal.portal_world import build_portal_world, csrf, sign_in


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


def test_create_a_glossary_and_its_terms(server, pw):
    producer = sign_in(server, pw.world.producer.name)
    url = f"/portal/d/{pw.world.domain_id}/glossaries"
    page = producer.get(url)
    assert "No glossary yet" in page.text
    made = producer.post(url, data={"csrf_token": csrf(page.text), "name": "Finance", "project": pw.world.sales_id,
                                    "description": "Money words"})
    assert made.status_code == 303
    glossary_url = made.headers["location"].split("?")[0]
    glossary = producer.get(glossary_url).text
    assert "<h1>Finance</h1>" in glossary and "No terms yet" in glossary
    term = producer.post(glossary_url + "/terms", data={"csrf_token": csrf(glossary), "name": "Revenue",
                                                         "short": "Income from sales"})
    assert term.status_code == 303
    assert "<dt>Revenue</dt><dd>Income from sales</dd>" in producer.get(glossary_url).text
    duplicate = producer.post(glossary_url + "/terms", data={"csrf_token": csrf(glossary), "name": "Revenue",
                                                              "short": "Again"})
    assert duplicate.status_code == 409 and 'value="Again"' in duplicate.text
    assert "Finance" in producer.get(url).text
    # Another project's member may read the glossary (glossaries are shared in a domain), not add terms to it.
    consumer = sign_in(server, pw.world.consumer.name)
    refused = consumer.post(glossary_url + "/terms", data={"csrf_token": csrf(consumer.get(url).text), "name": "X"})
    assert refused.status_code in (403, 404)


def test_create_a_form_type_and_an_asset_type(server, pw):
    producer = sign_in(server, pw.world.producer.name)
    url = f"/portal/d/{pw.world.domain_id}/types"
    page = producer.get(url)
    assert "GlueTableFormType" in page.text and "Managed metadata forms" in page.text
    bad = producer.post(url + "/forms", data={"csrf_token": csrf(page.text), "name": "QualityForm",
                                              "project": pw.world.sales_id, "model": "structure {"})
    assert bad.status_code == 400 and "structure {</textarea>" in bad.text
    made = producer.post(url + "/forms", data={"csrf_token": csrf(page.text), "name": "QualityForm",
                                               "project": pw.world.sales_id,
                                               "model": "structure QualityForm {\n  score: Integer\n}"})
    assert made.status_code == 303
    asset_type = producer.post(url + "/assets", data={"csrf_token": csrf(page.text), "asset_name": "ScoredTable",
                                                      "asset_project": pw.world.sales_id, "forms": "QualityForm"})
    assert asset_type.status_code == 303, asset_type.text
    listed = producer.get(url).text
    assert "<code>QualityForm</code>" in listed and "<code>ScoredTable</code>" in listed
