"""The whatworks Slack bot: a slack-bolt app that asks the whatworks API over HTTP and answers in Slack."""
