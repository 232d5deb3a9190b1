"""The guided conversation: navigator, one page per section, a widget per question type."""
