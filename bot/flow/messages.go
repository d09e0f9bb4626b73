package flow

// The engine's own words: short, plain and calm. Flow text lives in flows/.
const (
	msgHelp = `可用的命令：
/menu 回到主菜单
/back 撤回上一个回答
/law 查看相关法条
/channels 查看投诉、举报渠道
/evidence 查看、删除、导出我的证据
/draft 生成投诉、报案材料
/restart 从头开始
/privacy 隐私说明：保存什么、保存多久
/delete 删除我的全部数据
/cancel 取消当前操作
/help 查看本说明

有选项时，点选项或输入选项的文字；也可以直接说说你遇到的情况。
本工具提供的是自助信息，不是律师意见。`
	msgEmpty          = "没有收到内容。可以直接打字说说你的情况，或者选一个选项。"
	msgTooLong        = "这条消息太长了（超过 %d 个字），我没有保存。请分几条发送，或只写要点。"
	msgUnknownCommand = "没有这个命令。输入 /help 查看可用的命令。"
	msgNoMatch        = "抱歉，我没看懂这句话。可以选下面的选项，或者换个说法问我；发送 /menu 可以看全部内容。"
	msgNoMatchMenu    = "还是没看懂。可以选下面的选项，或者回到主菜单；输入 /help 查看帮助。"
	msgAskAgain       = "可以重新输入；不想回答可以输入 /cancel 回到主菜单。"
	msgStale          = "这个按钮已过期，请看最新的问题。"
	msgBackNone       = "已经是开头了，没有可以撤回的回答。"
	msgBack           = "好的，撤回了上一个回答。"
	msgRestart        = "好的，我们从头开始。之前填写的内容已清空。"
	msgCancelled      = "已取消，回到主菜单。"
	msgNothingCancel  = "现在没有要取消的操作。"
	msgDeleteAsk      = "确定要删除你在这里的全部数据吗？包括对话进度、填写的信息和保存的证据。删除后无法恢复。"
	msgDeleteYes      = "确认删除"
	msgDeleteNo       = "取消"
	msgDeleteKept     = "已取消删除，你的数据都还在。"
	msgDeleted        = "你的数据已经删除。需要时随时发消息，我们重新开始。"
	msgUpdated        = "指南内容已经更新，你之前所在的步骤已不存在。我们从主菜单继续，已填写的信息都还在。"
	msgUnsupported    = "我目前能处理文字消息，以及图片、截图、录音、视频和文件（作为证据保存）。请用文字回复，或者选一个选项。"
	msgSkip           = "跳过"
	msgBackToMenu     = "回到主菜单"
	msgResume         = "继续刚才的步骤"
	msgAlso           = "也看看："
	msgKeepEvidence   = "把这段话存为证据"
	msgHello          = "你好，这里是“安宁”。这里提供自助法律信息，不是律师意见。"
	msgCrisisBack     = "想继续的时候，我们可以接着看刚才的问题。"
	msgCrisisCare     = "如果愿意，可以先看看怎么缓解压力；想继续的时候，我们再接着看刚才的问题。"
	msgOptionalHint   = "（可以回复“跳过”）"
	msgThanks         = "不客气。慢慢来，我们接着看下面的问题。"
	msgOK             = "好的。"
	msgOKChoose       = "好的。请在下面选一项。"
	msgSkipHint       = "\n不想回答或不记得，回复“跳过”就行。"
	msgSkipped        = "好的，这个问题先跳过。想补上的话，可以输入 /back 再回答。"
	msgNeedAnswer     = "这个问题需要一个回答，后面的材料要用到。可以选一个选项，或者直接写；不想回答可以输入 /cancel 回到主菜单。"
	msgNoSuchOption   = "没有第 %d 项。请选 1 到 %d 中的一项，或者直接说说你的情况。"
	msgWelcomeBack    = "欢迎回来。我们从上次停下的地方继续；想从头开始可以输入 /restart。"
	msgLoop           = "抱歉，这里出了点问题，我们先回到主菜单。"
)

// menuWords are typed answers that always mean "take me to the menu".
var menuWords = map[string]bool{"菜单": true, "主菜单": true, "回到主菜单": true, "返回主菜单": true, "返回菜单": true, "menu": true}
