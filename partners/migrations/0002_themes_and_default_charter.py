"""Seed the dialogue themes of the platform's past work and the default Partnership Charter (v1)."""

from django.db import migrations
from django.utils import timezone

THEMES = [
    ("disability-rights", "Rights of persons with disabilities", "حقوق الأشخاص ذوي الإعاقة"),
    ("juvenile-justice", "Juvenile justice", "قضاء الأحداث"),
    ("gender-discrimination-in-laws", "Gender discrimination in laws", "التمييز على أساس النوع الاجتماعي في القوانين"),
    ("drug-addiction", "Drug addiction", "الإدمان على المخدرات"),
    ("citizenship", "Citizenship", "المواطنة"),
    ("volunteering", "Volunteering", "التطوع"),
    ("other", "Other", "موضوع آخر"),
]

# (number, title, title_ar, text, text_ar). Article numbers are cited by the platform's rules
# (partners/charter.py): keep their meaning when publishing a new version.
ARTICLES = [
    (
        "1",
        "Scope of the Platform and dialogue requests",
        "نطاق المنصة وطلبات الحوار",
        "The Partnership Platform brings together the public sector (ministries and public agencies) and civil "
        "society (organizations and networks) in dialogue on public policies. Either party may request a "
        "roundtable, policy dialogue, workshop or consultation, naming at least one counterpart from the other "
        "side and the policy question to be discussed. The Secretariat examines each request; the Coordination "
        "Committee decides on it by a quorum of at least half of its eligible members with at least one vote "
        "from each side, the Chair casting the deciding vote on a tie. A requesting party may appeal a "
        "rejection once, within the appeal window. Meetings invite participants from both sides and are set "
        "in the future with due notice.",
        "تجمع منصة الشراكة القطاع العام (الوزارات والمؤسسات العامة) والمجتمع المدني (الجمعيات والشبكات) في حوار "
        "حول السياسات العامة. يحق لأي من الطرفين أن يطلب طاولة حوار أو حوارًا حول سياسة عامة أو ورشة عمل أو "
        "استشارة، على أن يسمّي جهة مقابلة واحدة على الأقل من الطرف الآخر والمسألة المطروحة للنقاش. تدرس الأمانة "
        "كل طلب، وتبتّ فيه لجنة التنسيق بنصاب لا يقل عن نصف أعضائها المؤهلين للتصويت مع صوت واحد على الأقل من "
        "كل طرف، ويرجّح رئيس اللجنة عند تعادل الأصوات. يحق للجهة الطالبة الطعن في الرفض مرة واحدة ضمن مهلة "
        "الطعن. تُدعى إلى الاجتماعات جهات من الطرفين وتُحدَّد مواعيدها في المستقبل مع إشعار مسبق كافٍ.",
    ),
    (
        "2",
        "Protection of citizens' rights",
        "حماية حقوق المواطنين",
        "Partnership between the public sector and civil society serves the protection of citizens' rights and "
        "the improvement of the quality and reach of public services. Dialogue requests and their outcomes are "
        "judged by their contribution to these ends.",
        "تهدف الشراكة بين القطاع العام والمجتمع المدني إلى حماية حقوق المواطنين وتحسين نوعية الخدمات العامة "
        "ووصولها. وتُقاس طلبات الحوار ونتائجه بمدى إسهامها في تحقيق هذه الغايات.",
    ),
    (
        "3",
        "Respect for the law, human rights and the Constitution",
        "احترام القانون وحقوق الإنسان والدستور",
        "The parties act within the law and the Constitution and in accordance with the principles of "
        "international human rights. No dialogue may pursue an aim contrary to them.",
        "تعمل الأطراف في إطار القانون والدستور ووفقًا لمبادئ حقوق الإنسان الدولية، ولا يجوز أن يسعى أي حوار إلى "
        "غاية تتعارض معها.",
    ),
    (
        "4",
        "Non-discrimination",
        "عدم التمييز",
        "Public services must reach all citizens without discrimination. The Platform treats every member "
        "organization equally, and dialogues give a fair hearing to the views of all concerned, including "
        "those most affected by the policy discussed.",
        "يجب أن تصل الخدمات العامة إلى جميع المواطنين من دون تمييز. وتعامل المنصة جميع الجهات الأعضاء على قدم "
        "المساواة، وتتيح الحوارات استماعًا منصفًا لآراء جميع المعنيين، ولا سيما الأكثر تأثرًا بالسياسة موضوع "
        "النقاش.",
    ),
    (
        "5",
        "Independent and objective participation",
        "المشاركة المستقلة والموضوعية",
        "Participation in the Platform is independent and objective. A committee member who belongs to a party "
        "to a request, or who declares a conflict of interest, is recused and does not vote on it. Every vote "
        "to reject a request states its reasons.",
        "تكون المشاركة في المنصة مستقلة وموضوعية. ويُستبعد من التصويت على أي طلب عضو اللجنة المنتمي إلى أحد "
        "أطرافه أو الذي يصرّح بتضارب في المصالح. ويجب أن يكون كل صوت برفض طلب معلَّلًا.",
    ),
    (
        "6",
        "Conditions for the participation of organizations",
        "شروط مشاركة الجهات",
        "An organization takes part in the Platform as an active member that has accepted the version of this "
        "Charter in force. When a new version is published, each organization accepts it again before "
        "submitting new requests. Organizations act through their designated coordinators.",
        "تشارك الجهة في المنصة بصفتها عضوًا فاعلًا قبِل النسخة النافذة من هذه الشرعة. وعند نشر نسخة جديدة، "
        "تقبلها كل جهة مجددًا قبل تقديم طلبات جديدة. وتعمل الجهات من خلال منسقيها المعيَّنين.",
    ),
    (
        "7",
        "Right of access to information",
        "حق الوصول إلى المعلومات",
        "The parties share the information a dialogue needs, and the Secretariat may ask a requester for it. "
        "Outcomes of dialogues are published; an outcome may be restricted only for a stated reason.",
        "تتبادل الأطراف المعلومات التي يحتاجها الحوار، ويحق للأمانة أن تطلبها من الجهة الطالبة. وتُنشر نتائج "
        "الحوارات، ولا يجوز تقييد نشر أي نتيجة إلا لسبب معلَن.",
    ),
    (
        "8",
        "Documented outcomes and follow-up",
        "توثيق النتائج والمتابعة",
        "Every meeting is documented: minutes, recommendations, and what changed, for whom, why it matters, how "
        "the dialogue contributed and the evidence. The parties confirm the minutes; silence within the "
        "confirmation period is consent. Agreed actions have owners and due dates, and a request is closed "
        "only when each action is done or dropped with a justification.",
        "يُوثَّق كل اجتماع: المحضر والتوصيات، وما الذي تغيّر ولمن، وأهمية هذا التغيير، وكيف أسهم فيه الحوار، "
        "والأدلة على ذلك. تصادق الأطراف على المحضر، ويُعدّ السكوت خلال مهلة المصادقة موافقة. ولكل إجراء متفق "
        "عليه جهة مسؤولة وموعد استحقاق، ولا يُقفل الطلب إلا بعد إنجاز كل إجراء أو العدول عنه مع تبرير.",
    ),
]


def seed(apps, schema_editor):
    Theme = apps.get_model("partners", "Theme")
    CharterVersion = apps.get_model("partners", "CharterVersion")
    CharterArticle = apps.get_model("partners", "CharterArticle")
    for index, (code, name, name_ar) in enumerate(THEMES):
        Theme.objects.update_or_create(code=code, defaults={"name": name, "name_ar": name_ar, "ordering": index})
    if CharterVersion.objects.exists():
        return
    version = CharterVersion.objects.create(
        number=1,
        title="Partnership Charter between the Public Sector and Civil Society",
        title_ar="شرعة الشراكة بين القطاع العام والمجتمع المدني",
        published_at=timezone.now(),
        is_current=True,
    )
    CharterArticle.objects.bulk_create(
        CharterArticle(version=version, number=n, title=t, title_ar=ta, text=x, text_ar=xa)
        for n, t, ta, x, xa in ARTICLES
    )


def unseed(apps, schema_editor):
    apps.get_model("partners", "CharterVersion").objects.filter(number=1, acceptances__isnull=True).delete()
    apps.get_model("partners", "Theme").objects.filter(code__in=[code for code, _, _ in THEMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
