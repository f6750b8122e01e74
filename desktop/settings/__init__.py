"""Application-wide settings and Help → About: the Settings window, the theme, the diagnostics report."""
