"""The operating system: processes, paths, logging, start at login, notifications, the control socket."""
