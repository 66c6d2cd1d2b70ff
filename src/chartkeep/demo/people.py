"""Names and words the demo draws from (fictional people; deterministic with a seeded Random)."""

FIRST = ["Ada", "Ben", "Carmen", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonah", "Kemi", "Luis",
         "Maya", "Nikhil", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wes", "Xin",
         "Yara", "Zane", "Amara", "Bruno", "Chloe", "Diego", "Esther", "Felix", "Gita", "Hugo", "Iris", "Jae"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Patel", "Rossi", "Haddad", "Kim", "Novak", "Silva", "Nguyen",
        "Schmidt", "Abebe", "Kowalski", "Tanaka", "Garcia", "Murphy", "Costa", "Ivanova", "Dubois", "Osei"]
DEPARTMENTS = ["Internal Medicine", "Cardiology", "Emergency", "Pediatrics", "Oncology", "Orthopedics"]
LOCATIONS = ["Ward 3B", "Clinic Room 12", "ED Bay 4", "Telehealth", "Ward 5A", "Clinic Room 2"]
ALLERGIES = ["penicillin", "latex", "peanuts", "sulfa drugs", "shellfish", "aspirin"]
COMPLAINTS = [
    ("chest pain on exertion for two weeks", "BP 148/92, HR 88, lungs clear", "stable angina suspected",
     "ECG, troponin, stress test; start aspirin 81 mg"),
    ("productive cough and fever for four days", "T 38.4 C, crackles right base", "community-acquired pneumonia",
     "chest X-ray; amoxicillin-clavulanate 7 days; review in 48 h"),
    ("follow-up of type 2 diabetes", "HbA1c 7.9 %, BMI 31", "suboptimal glycaemic control",
     "increase metformin; dietitian referral; repeat HbA1c in 3 months"),
    ("left ankle injury after a fall", "swelling lateral malleolus, able to bear weight", "ankle sprain grade II",
     "RICE, brace, physiotherapy referral"),
    ("headaches, worse in the morning", "neuro exam normal, BP 162/98", "uncontrolled hypertension",
     "start amlodipine 5 mg; home BP log; review in 2 weeks"),
    ("shortness of breath at night", "bibasal crackles, ankle oedema", "heart failure exacerbation",
     "furosemide IV; daily weights; echocardiogram"),
]
BH_REASONS = ["intake assessment", "weekly therapy", "medication review", "follow-up after crisis", "group session"]
BH_RECOMMENDATIONS = ["Weekly CBT sessions; sleep hygiene plan.", "Medication review with psychiatry in 2 weeks.",
                      "Safety plan reviewed; crisis line numbers given.", "Group therapy; repeat PHQ-9 in 4 weeks."]
