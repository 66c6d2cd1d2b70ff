"""Assessments (PHQ-9/GAD-7), self-report questionnaires and crisis logs (the behavioral-health template)."""
