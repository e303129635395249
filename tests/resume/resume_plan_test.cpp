// plan_resume: where dispatch and the runner's source continue, for every
// case of cursor, md.journal and $.source.start (resume_plan.hpp has the rules).
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resume_plan.hpp"

namespace sigrun::runner {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr std::int64_t kCreated = 1'700'000'000'000'000'000;
constexpr std::uint64_t kFingerprint = 0xabcdef;

ResumeInputs inputs(SourceKind kind, std::uint64_t md_last, std::uint64_t capacity = 256) {
    ResumeInputs in;
    in.kind = kind;
    in.source_fingerprint = kind == SourceKind::journal ? 0 : kFingerprint;
    in.md = MdJournalState{kCreated, journal::Geometry{capacity, 512}, md_last};
    in.cursor_path = "/j/runner.cursor";
    in.md_path = "/j/md.journal";
    return in;
}

CursorState cursor_at(const ResumeInputs& in, std::uint64_t position, std::uint64_t origin) {
    CursorState c;
    c.identity = CursorIdentity{static_cast<std::uint32_t>(in.kind), in.md.geometry.slot_size,
                                in.md.geometry.capacity, kCreated, in.source_fingerprint, origin};
    c.position = position;
    return c;
}

std::string all_log(const ResumePlan& plan) {
    std::string text;
    for (const auto& l : plan.log) text += (l.warning ? "W " : "I ") + l.text + "\n";
    return text;
}

TEST(ResumePlanTest, FirstReplayRunStartsTheSourceAfterWhatMdJournalHolds) {
    const ResumePlan plan = plan_resume(inputs(SourceKind::replay, 300));
    EXPECT_TRUE(plan.write_new);
    EXPECT_FALSE(plan.resumed);
    EXPECT_EQ(plan.dispatch_from, 301u);
    EXPECT_EQ(plan.identity.source_origin, 301u);
    EXPECT_EQ(plan.identity.source_fingerprint, kFingerprint);
    EXPECT_EQ(plan.source_skip, 0u);
    EXPECT_THAT(all_log(plan), HasSubstr("created: dispatch starts at md frame 301"));
}

TEST(ResumePlanTest, ResumedReplayDispatchesTheUndispatchedFramesAndContinuesTheSource) {
    // given a cursor at 1100 of a source that started at md frame 1001, and
    // md.journal holding frames up to 1300
    ResumeInputs in = inputs(SourceKind::replay, 1300);
    in.cursor = cursor_at(in, 1100, 1001);
    // when planned
    const ResumePlan plan = plan_resume(in);
    // then dispatch resumes at 1100 and the source skips the 300 events fed
    EXPECT_FALSE(plan.write_new);
    EXPECT_TRUE(plan.resumed);
    EXPECT_EQ(plan.dispatch_from, 1100u);
    EXPECT_EQ(plan.source_skip, 300u);
    EXPECT_EQ(plan.lost, 0u);
    EXPECT_THAT(all_log(plan), AllOf(HasSubstr("resuming at md frame 1100 (201 frames written before the restart"),
                                     HasSubstr("the source continues at its event 301 (md frame 1301)")));
}

TEST(ResumePlanTest, SyntheticResumesLikeReplay) {
    ResumeInputs in = inputs(SourceKind::synthetic, 50);
    in.cursor = cursor_at(in, 51, 1);
    const ResumePlan plan = plan_resume(in);
    EXPECT_EQ(plan.dispatch_from, 51u);
    EXPECT_EQ(plan.source_skip, 50u);
}

TEST(ResumePlanTest, OwnedRingOverwrittenPastTheCursorCountsTheExactLoss) {
    // md frames 745..1000 are in a ring of 256; the cursor says 700
    ResumeInputs in = inputs(SourceKind::replay, 1000);
    in.cursor = cursor_at(in, 700, 1);
    const ResumePlan plan = plan_resume(in);
    EXPECT_EQ(plan.dispatch_from, 745u);
    EXPECT_EQ(plan.lost, 45u);
    EXPECT_EQ(plan.source_skip, 1000u);
    EXPECT_THAT(all_log(plan), HasSubstr("W consumer cursor /j/runner.cursor: md frames 700..744 (45) were overwritten"));
}

TEST(ResumePlanTest, ExternalRingOverwrittenLeavesTheCountToTheReader) {
    ResumeInputs in = inputs(SourceKind::journal, 1000);
    in.cursor = cursor_at(in, 700, 0);
    const ResumePlan plan = plan_resume(in);
    EXPECT_EQ(plan.dispatch_from, 700u);  // the reader's lost result counts 745 - 700 exactly
    EXPECT_EQ(plan.lost, 0u);
    EXPECT_THAT(all_log(plan), HasSubstr("the writer overwrote md frames from 700 on"));
}

TEST(ResumePlanTest, CursorAheadOfMdJournalResumesAtItsEnd) {
    ResumeInputs in = inputs(SourceKind::replay, 80);
    in.cursor = cursor_at(in, 120, 1);
    const ResumePlan plan = plan_resume(in);
    EXPECT_EQ(plan.dispatch_from, 81u);
    EXPECT_EQ(plan.source_skip, 80u);
    EXPECT_THAT(all_log(plan), HasSubstr("W consumer cursor /j/runner.cursor is at md frame 120 but /j/md.journal ends "
                                         "at frame 80"));
}

TEST(ResumePlanTest, JournalFirstRunStartsAtTheEndOrTheOldest) {
    EXPECT_EQ(plan_resume(inputs(SourceKind::journal, 1000)).dispatch_from, 1001u);
    ResumeInputs in = inputs(SourceKind::journal, 1000);
    in.start = StartPolicy::oldest;
    in.start_given = true;
    EXPECT_EQ(plan_resume(in).dispatch_from, 745u);
    in.md.last = 0;
    EXPECT_EQ(plan_resume(in).dispatch_from, 1u);
}

TEST(ResumePlanTest, ExplicitStartReplacesTheCursorAndSaysWhatThatSkipsOrRepeats) {
    ResumeInputs in = inputs(SourceKind::journal, 1000);
    in.cursor = cursor_at(in, 900, 0);
    in.start_given = true;
    in.start = StartPolicy::end;
    ResumePlan plan = plan_resume(in);
    EXPECT_TRUE(plan.write_new);
    EXPECT_EQ(plan.dispatch_from, 1001u);
    EXPECT_THAT(all_log(plan), AllOf(HasSubstr("W $.source.start is \"end\": consumer cursor /j/runner.cursor (at md "
                                               "frame 900) is not resumed but replaced"),
                                     HasSubstr("md frames 900..1000 (101) after the cursor are skipped")));
    in.start = StartPolicy::oldest;
    plan = plan_resume(in);
    EXPECT_EQ(plan.dispatch_from, 745u);
    EXPECT_THAT(all_log(plan), HasSubstr("md frames 745..899 (155) before the cursor are dispatched again"));

    ResumeInputs replay = inputs(SourceKind::replay, 1000);
    replay.cursor = cursor_at(replay, 990, 1);
    replay.start_given = true;
    replay.start = StartPolicy::beginning;
    plan = plan_resume(replay);
    EXPECT_EQ(plan.dispatch_from, 1001u);
    EXPECT_EQ(plan.identity.source_origin, 1001u);
    EXPECT_EQ(plan.source_skip, 0u);
    EXPECT_THAT(all_log(plan), AllOf(HasSubstr("the source is fed again from its first event"),
                                     HasSubstr("md frames 990..1000 (11) written before the restart and not "
                                               "dispatched are skipped")));
}

void expect_refused(const ResumeInputs& in, const std::string& why, const std::string& fix) {
    try {
        (void)plan_resume(in);
        ADD_FAILURE() << "planned";
    } catch (const CursorError& e) {
        EXPECT_EQ(e.kind(), CursorError::Kind::mismatch);
        EXPECT_THAT(e.what(), AllOf(HasSubstr("consumer cursor /j/runner.cursor"), HasSubstr(why), HasSubstr(fix)));
    }
}

TEST(ResumePlanTest, CursorOfAnotherMdJournalIsRefusedUnlessStartIsGiven) {
    ResumeInputs in = inputs(SourceKind::replay, 10);
    in.cursor = cursor_at(in, 5, 1);
    in.cursor->identity.md_created_time = kCreated - 1;
    expect_refused(in, "belongs to another md.journal than /j/md.journal", "set $.source.start to \"beginning\"");
    in.start = StartPolicy::beginning;
    in.start_given = true;
    const ResumePlan plan = plan_resume(in);
    EXPECT_THAT(all_log(plan), HasSubstr("it belonged to another md.journal"));
}

TEST(ResumePlanTest, CursorOfAnotherSourceIsRefused) {
    ResumeInputs in = inputs(SourceKind::replay, 10);
    in.cursor = cursor_at(in, 5, 1);
    in.cursor->identity.source_fingerprint = 1;
    expect_refused(in, "was written for other replay files", "beginning");
    in.cursor->identity.source_fingerprint = kFingerprint;
    in.cursor->identity.source_kind = static_cast<std::uint32_t>(SourceKind::synthetic);
    expect_refused(in, "was written by a \"synthetic\" source and this config's source is \"replay\"", "beginning");
    ResumeInputs journal = inputs(SourceKind::journal, 10);
    journal.cursor = cursor_at(in, 5, 1);
    expect_refused(journal, "was written by a \"replay\" source and this config's source is \"journal\"",
                   "set $.source.start to \"end\" or \"oldest\"");
}

TEST(ResumePlanTest, MdJournalEndingBeforeTheSourceOriginIsRefused) {
    ResumeInputs in = inputs(SourceKind::replay, 10);
    in.cursor = cursor_at(in, 30, 20);
    expect_refused(in, "starts its source at md frame 20 but /j/md.journal ends at frame 10", "beginning");
}

TEST(ResumePlanTest, FingerprintFollowsTheDataNotTheFolderOrTheEventCount) {
    SourceConfig a;
    a.kind = SourceKind::synthetic;
    a.synthetic.seed = 3;
    SourceConfig b = a;
    b.synthetic.events = a.synthetic.events * 2;
    EXPECT_EQ(source_fingerprint(a), source_fingerprint(b));
    b.synthetic.seed = 4;
    EXPECT_NE(source_fingerprint(a), source_fingerprint(b));
    SourceConfig j;
    j.kind = SourceKind::journal;
    EXPECT_EQ(source_fingerprint(j), 0u);
}

}  // namespace
}  // namespace sigrun::runner
