"""The Mimika demo node: Pemerintah Kabupaten Mimika, its work units, UKPBJ, two Pokja, and a
dozen vendor companies with plausible names and NIB/NPWP formats (numbers are made up)."""

NODE_NAME = "LPSE Kabupaten Mimika"
AGENCY = ("Pemerintah Kabupaten Mimika", "pemkab-mimika")
WORK_UNITS = [
    ("Dinas Pekerjaan Umum dan Penataan Ruang", "dinas-pupr"),
    ("Dinas Kesehatan", "dinas-kesehatan"),
    ("Dinas Pendidikan", "dinas-pendidikan"),
    ("RSUD Mimika", "rsud-mimika"),
    ("Dinas Perhubungan", "dinas-perhubungan"),
    ("Dinas Perumahan dan Kawasan Permukiman", "dinas-perkim"),
    ("Badan Penanggulangan Bencana Daerah", "bpbd"),
]
PROCUREMENT_UNIT = "Bagian Pengadaan Barang dan Jasa Setda Kabupaten Mimika"

# (username, display name, role, scope key understood by demo.services)
OFFICIALS = [
    ("admin", "Yohanes Beanal", "admin", "node"),
    ("verifikator", "Maria Magai", "verifier", "node"),
    ("auditor", "Stefanus Kum", "auditor", "node"),
    ("kepala.ukpbj", "Agustinus Tsenawatme", "procurement_unit_head", "procurement_unit"),
    ("ppk.pupr", "Robert Kogoya", "commitment_officer", "work_unit:dinas-pupr"),
    ("ppk.dinkes", "Elisabeth Wandik", "commitment_officer", "work_unit:dinas-kesehatan"),
    ("ppk.pendidikan", "Daniel Rumbiak", "commitment_officer", "work_unit:dinas-pendidikan"),
    ("kpa.pupr", "Ir. Hendrik Rumaropen", "budget_user", "work_unit:dinas-pupr"),
    ("pejabat.pengadaan", "Siti Rahmawati", "procurement_official", "work_unit:rsud-mimika"),
]
COMMITTEES = [
    (
        "Pokja Pemilihan 1",
        [
            ("pokja1.ketua", "Markus Yanengga"),
            ("pokja1.sekretaris", "Ratna Sari Dewi"),
            ("pokja1.anggota", "Fransiskus Omaleng"),
        ],
    ),
    (
        "Pokja Pemilihan 2",
        [
            ("pokja2.ketua", "Benyamin Natkime"),
            ("pokja2.sekretaris", "Nurhayati Lamaya"),
            ("pokja2.anggota", "Petrus Deikme"),
        ],
    ),
]
# (company, NIB, NPWP, city, username, user's name, decision)
VENDORS = [
    (
        "CV Amungme Jaya Konstruksi",
        "9120001234561",
        "01.234.567.8-953.000",
        "Timika",
        "amungme.jaya",
        "Paulus Magal",
        "approved",
    ),
    (
        "PT Timika Mandiri Sejahtera",
        "9120002345672",
        "02.345.678.9-953.000",
        "Timika",
        "timika.mandiri",
        "Andreas Sondegau",
        "approved",
    ),
    (
        "CV Kamoro Sentosa",
        "9120003456783",
        "03.456.789.0-953.000",
        "Timika",
        "kamoro.sentosa",
        "Yakobus Operawiri",
        "approved",
    ),
    (
        "PT Papua Bangun Persada",
        "9120004567894",
        "04.567.890.1-952.000",
        "Jayapura",
        "papua.bangun",
        "Hendra Wijaya",
        "approved",
    ),
    (
        "CV Nemangkawi Abadi",
        "9120005678905",
        "05.678.901.2-953.000",
        "Timika",
        "nemangkawi",
        "Simon Kiwak",
        "approved",
    ),
    (
        "PT Mimika Karya Utama",
        "9120006789016",
        "06.789.012.3-953.000",
        "Timika",
        "mimika.karya",
        "Lukas Beanal",
        "approved",
    ),
    (
        "CV Sempan Teknik",
        "9120007890127",
        "07.890.123.4-953.000",
        "Kuala Kencana",
        "sempan.teknik",
        "Yulius Kemong",
        "approved",
    ),
    (
        "PT Cenderawasih Medika Nusantara",
        "9120008901238",
        "08.901.234.5-011.000",
        "Jakarta",
        "cenderawasih.medika",
        "dr. Anita Kusuma",
        "approved",
    ),
    (
        "CV Kuala Kencana Mandiri",
        "9120009012349",
        "09.012.345.6-953.000",
        "Kuala Kencana",
        "kuala.kencana",
        "Marthen Tabuni",
        "approved",
    ),
    (
        "PT Lorentz Infrastruktur Papua",
        "9120010123450",
        "10.123.456.7-952.000",
        "Jayapura",
        "lorentz.infra",
        "Budi Santoso",
        "approved",
    ),
    (
        "CV Pomako Bahari",
        "9120011234561",
        "11.234.567.8-953.000",
        "Timika",
        "pomako.bahari",
        "Kornelis Waker",
        "pending",
    ),
    (
        "PT Arafura Logistik Timur",
        "9120012345672",
        "12.345.678.9-956.000",
        "Merauke",
        "arafura.logistik",
        "Rudi Hartono",
        "rejected",
    ),
]
REJECTION_REASON = "Akta pendirian yang diunggah tidak terbaca; unggah ulang salinan yang jelas."
