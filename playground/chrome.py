"""The playground page's own words (its chrome: banner, headings, switchers), in the language
of the person the page shows, through the bot's catalogues like every other text."""

from __future__ import annotations

from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, gettext_in, supported

CHROME: dict[str, str] = {
    "title": N_("csp-bot playground"),
    "banner_title": N_("Local playground"),
    "banner_text": N_("This page stands in for Slack, on sandbox data: nothing reaches Slack or "
                      "OVHcloud, and everything is forgotten when the bot stops. Set Slack "
                      "credentials and run `make run` again to connect to Slack."),
    "workspace": N_("Playground workspace"),
    "you_are": N_("You are:"),
    "switch_user": N_("Switch user"),
    "language": N_("Language:"),
    "switch_language": N_("The Slack language of this person"),
    "connection": N_("Live updates from the playground server"),
    "conversations": N_("Conversations"),
    "apps": N_("Apps"),
    "home_item": N_("csp-bot Home"),
    "channels": N_("Channels"),
    "direct_messages": N_("Direct messages"),
    "home_title": N_("csp-bot — Home"),
    "no_home": N_("csp-bot has not published a Home tab for you yet."),
    "log": N_("Playground log"),
    "no_messages": N_("No messages yet."),
    "only_you": N_("Only visible to you"),
    # Slack's own words in a modal and its checks before a submission is sent
    "modal": N_("Modal"),
    "cancel": N_("Cancel"),
    "yes": N_("Yes"),
    "are_you_sure": N_("Are you sure?"),
    "previous_view": N_("Previous view"),
    "close": N_("Close"),
    "close_all": N_("Close all"),
    "required_field": N_("Please complete this required field."),
    "enter_number": N_("Please enter a number."),
    "enter_whole_number": N_("Please enter a whole number."),
    "number_at_least": N_("Please enter a number of at least {n}."),
    "number_at_most": N_("Please enter a number of at most {n}."),
    "enter_email": N_("Please enter a valid email address."),
    "enter_url": N_("Please enter a valid URL."),
    "characters_at_least": N_("Please enter at least {n} characters."),
    "characters_at_most": N_("Please enter at most {n} characters."),
    # the elements of messages and modals
    "more_actions": N_("More actions"),
    "select_option": N_("Select an option"),
    "type_to_search": N_("Type to search"),
    "remove": N_("Remove"),
    "searching": N_("Searching…"),
    "no_results": N_("No results"),
    "not_rendered": N_("Not rendered by the playground: {what}"),
    # the message box
    "message": N_("Message"),
    "send": N_("Send"),
    "not_a_command": N_("{typed} is not a valid command. In this playground, {command} is."),
}

#: The Slack locale the switcher gives a person for each language (what users.info says).
SLACK_LOCALES: dict[str, str] = {
    "en": "en-GB", "nl": "nl-NL", "de": "de-DE", "pt": "pt-PT", "it": "it-IT", "fr": "fr-FR",
}


def chrome_texts(language: str | None) -> dict[str, str]:
    chosen = supported(language) or "en"
    return {key: gettext_in(chosen, text) for key, text in CHROME.items()}


def language_choices() -> list[dict[str, str]]:
    return [{"code": code, "name": LANGUAGE_NAMES[code]} for code in LANGUAGES]
