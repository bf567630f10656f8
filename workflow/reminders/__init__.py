"""What the clock sends rather than a change: deadline reminders and the daily digest. Above submissions (what
they are about) and notifications (how they go out)."""
