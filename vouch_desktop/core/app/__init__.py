"""The application service: what the app does, without Qt. The tray (vouch_desktop/ui) renders it
and asks it to act; the control socket's handlers (control.py) call it for the command line."""
