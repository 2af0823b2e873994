"""A benign corpus of ordinary names, for the real-people fuzzy threshold (moderation/people.py).

Common first names and surnames of the supported languages' countries, combined into pairs. A
pair that is exactly a listed real person is left out by the test that uses it.
"""

from __future__ import annotations

# fmt: off
FIRST_NAMES: list[str] = [
    "Emma", "Olivia", "Sophia", "Mia", "Isabella", "Charlotte", "Amelia", "Harper", "Emily",
    "Abigail", "Ella", "Grace", "Chloe", "Lily", "Hannah", "Sarah", "Anna", "Laura", "Julia",
    "Maria", "Lucia", "Sofia", "Valentina", "Camila", "Martina", "Paula", "Carmen", "Elena",
    "Ana", "Beatriz", "Mariana", "Gabriela", "Juliana", "Fernanda", "Leonie", "Lena", "Lea",
    "Marie", "Clara", "Louise", "Manon", "Camille", "Chiara", "Giulia", "Francesca", "Sara",
    "Eva", "Sanne", "Fleur", "Zofia", "Zuzanna", "Maja", "Aleksandra", "Elif", "Zeynep",
    "Ayse", "Fatma", "Natasha", "Olga", "Tatiana", "Irina", "Svetlana", "Oksana", "Yuki",
    "Sakura", "Mei", "Li", "Jiwoo", "Minji", "Fatima", "Aisha", "Layla", "Priya", "Ananya",
    "Aditi", "Siti", "Dewi", "Putri", "Linh", "Trang", "Rachel", "Jessica", "Jennifer", "Megan",
    "Taylor", "Kim", "Emily", "Selena", "Ariana", "Naomi", "Natalie", "Scarlett", "Margot",
    "Liam", "Noah", "Oliver", "James", "William", "Lucas", "Henry", "Alexander", "Michael",
    "Daniel", "David", "Joseph", "Thomas", "Mateo", "Santiago", "Diego", "Pablo", "Javier",
    "Joao", "Pedro", "Felix", "Lukas", "Jonas", "Paul", "Louis", "Hugo", "Leonardo", "Lorenzo",
    "Marco", "Daan", "Sem", "Jakub", "Kacper", "Mehmet", "Mustafa", "Ivan", "Dmitri", "Sergei",
    "Andriy", "Haruto", "Wei", "Minjun", "Omar", "Ahmed", "Arjun", "Rahul", "Budi", "Minh",
    "Chris", "Tom", "Ryan", "Brad", "Justin", "Harry", "Ed", "Bill", "Mark", "Elon", "Joe",
]
SURNAMES: list[str] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    "Garcia", "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez",
    "Silva", "Santos", "Oliveira", "Souza", "Costa", "Muller", "Schmidt", "Schneider", "Fischer",
    "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Durand", "Leroy", "Moreau", "Rossi",
    "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Jansen", "De Vries", "Bakker",
    "Nowak", "Kowalski", "Wisniewski", "Yilmaz", "Kaya", "Demir", "Ivanov", "Smirnov",
    "Kuznetsov", "Shevchenko", "Bondarenko", "Sato", "Suzuki", "Takahashi", "Wang", "Zhang",
    "Liu", "Chen", "Park", "Lee", "Choi", "Hassan", "Ali", "Ibrahim", "Sharma", "Patel",
    "Singh", "Kumar", "Gupta", "Santoso", "Wijaya", "Nguyen", "Tran", "Le", "Pham", "Stone",
    "Watts", "Swan", "Robinson", "Morgan", "Reeves", "Holland", "Grant", "Lawson", "Gomes",
]
# fmt: on
