"""The notify step's parts: the message (pure), its channels, and delivery with retries.

``message`` builds what is said; ``slack`` shapes it for Slack; ``delivery`` retries a
channel and classifies its failures; ``webhook`` and ``smtp`` send it. Channel modules
import ``requests`` or ``smtplib`` only when that channel is chosen.
"""
