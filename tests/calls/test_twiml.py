"""The TwiML builders, read back as XML the way the provider reads them."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from app import twiml
from tests.support.provider import dialled


def parse(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return root


def test_ring_agents_dials_every_agent_at_once_with_their_own_noun():
    targets = [
        twiml.DialTarget("client", "agent_ann", "https://cc.example.com/twilio/status?agent=1"),
        twiml.DialTarget("phone", "+14155550123", "https://cc.example.com/twilio/status?agent=2"),
        twiml.DialTarget("sip", "sip:bob@pbx.example.com", "https://cc.example.com/twilio/status?agent=3"),
    ]
    root = parse(twiml.ring_agents(targets, timeout=17, action_url="https://cc.example.com/twilio/dial-result"))
    (dial,) = root
    assert dial.tag == "Dial"
    assert dial.get("timeout") == "17"
    assert dial.get("action") == "https://cc.example.com/twilio/dial-result"
    assert [(n.tag, dialled(n)) for n in dial] == [
        ("Client", "agent_ann"), ("Number", "+14155550123"), ("Sip", "sip:bob@pbx.example.com")]
    for noun, target in zip(dial, targets):
        assert noun.get("statusCallback") == target.status_callback
        assert set(noun.get("statusCallbackEvent").split()) == {"initiated", "ringing", "answered", "completed"}


def test_fallback_without_number_takes_a_voicemail():
    root = parse(twiml.fallback(number=None, greeting="Please leave a message.",
                                record_action_url="https://cc.example.com/twilio/voicemail", max_seconds=90,
                                timeout=20))
    say, record = root
    assert (say.tag, say.text) == ("Say", "Please leave a message.")
    assert record.tag == "Record"
    assert record.get("action") == "https://cc.example.com/twilio/voicemail"
    assert record.get("maxLength") == "90"


def test_fallback_with_number_forwards_the_call():
    root = parse(twiml.fallback(number="+18005550000", greeting="unused", record_action_url="x",
                                max_seconds=90, timeout=25))
    (dial,) = root
    assert (dial.tag, dial.text, dial.get("timeout")) == ("Dial", "+18005550000", "25")


def test_greeting_text_is_escaped_not_markup():
    root = parse(twiml.fallback(number=None, greeting="Tom & Jerry <Hangup/>", record_action_url="x",
                                max_seconds=5, timeout=5))
    assert root[0].text == "Tom & Jerry <Hangup/>"
    assert [el.tag for el in root] == ["Say", "Record"]


def test_empty_and_goodbye():
    assert list(parse(twiml.empty())) == []
    assert [el.tag for el in parse(twiml.goodbye("Bye"))] == ["Say", "Hangup"]


def test_choose_agents_rings_at_most_ten_and_spreads_calls():
    from app.services.calls.routing import choose_agents

    online = [(i, "client", f"agent{i}") for i in range(1, 31)]
    first = choose_agents(online, 25, "CA" + "1" * 32)
    assert len(first) == 10  # Twilio's limit wins over a larger setting
    assert list(first) == sorted(first)
    assert choose_agents(online, 25, "CA" + "1" * 32) == first  # a retry rings the same people
    others = {choose_agents(online, 10, f"CA{n:032d}") for n in range(20)}
    assert len(others) > 1  # different calls start at different agents


def test_the_survey_question_gathers_up_to_two_digits_and_asks_again_on_silence():
    from app.services.care import wording

    words = wording.wording("es")
    root = parse(twiml.survey_question(words, action_url="https://cc.example.com/twilio/survey?attempt=1"))
    gather, redirect = root
    assert (gather.tag, redirect.tag) == ("Gather", "Redirect")
    assert (gather.get("input"), gather.get("numDigits"), gather.get("finishOnKey"), gather.get("method")) == (
        "dtmf", "2", "#", "POST")
    assert gather.get("action") == redirect.text == "https://cc.example.com/twilio/survey?attempt=1"
    assert gather.get("actionOnEmptyResult") == "true"
    (say,) = gather
    assert (say.text, say.get("language"), say.get("voice")) == (words.question, "es-MX", "alice")
    again = parse(twiml.survey_question(words, action_url="https://x/twilio/survey?attempt=2", again=True))
    assert [s.text for s in again.find("Gather")] == [words.again, words.question]


def test_survey_goodbye_and_sms_replies():
    from app.services.care import wording

    words = wording.wording("zh")
    root = parse(twiml.say_goodbye(words.thanks, words))
    assert [(el.tag, el.text, el.get("language")) for el in root] == [("Say", words.thanks, "zh-CN"),
                                                                       ("Hangup", None, None)]
    assert [(el.tag, el.text) for el in parse(twiml.sms_reply("Thank you <3"))] == [("Message", "Thank you <3")]
    assert list(parse(twiml.sms_reply(None))) == []


def test_a_language_is_read_as_people_write_it():
    from types import SimpleNamespace

    from app.services.care import wording

    def pref(key, value):
        return SimpleNamespace(key=key, value=value)

    cases = {("language", "Mandarin"): "zh", ("Language", "中文"): "zh", ("lang", "zh-CN"): "zh",
             ("language", "Español"): "es", ("idioma", "es_MX"): "es", ("language", "Arabic"): "en",
             ("milk", "Spanish"): "en"}
    for (key, value), expected in cases.items():
        assert wording.language_for([pref(key, value)]) == expected, (key, value)

